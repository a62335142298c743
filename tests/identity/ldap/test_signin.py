"""LDAP password sign-in (``POST /api/v1/auths/ldap``) and the sync of a user's groups when
they sign in."""

from __future__ import annotations

import ldap3  # type: ignore[import-untyped]

from opengroups.identity.config import IdentityConfig
from opengroups.identity.ldap.signin import sync_at_signin
from opengroups.identity.ldap.sync import full_sync
from opengroups.users import repository as users_repository
from tests.conftest import refused, table_counts
from tests.identity.ldap.conftest import (
    LdapApp,
    StartLdap,
    accounts,
    add_tree,
    fresh_tree,
    ldap_config,
    ldap_memberships,
)
from tests.identity.ldap.data import Tree
from tests.identity.ldap.slapd import Slapd, free_port

LDAP_SIGNIN = "/api/v1/auths/ldap"


def tree_with_nesting() -> Tree:
    tree = fresh_tree()
    for uid in ("alice", "bob"):
        tree.add_user(uid)
    tree.add_group("staff", {"alice"})
    tree.add_group("everyone", {"bob"}, {"staff"})
    tree.add_group("ops", {"bob"})
    return tree


async def _signin(env: LdapApp, user: str, password: str) -> tuple[int, dict[str, object]]:
    response = await env.api.client.post(LDAP_SIGNIN, json={"user": user, "password": password})
    return response.status_code, response.json()


async def test_the_right_password_signs_in_and_syncs_the_groups(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = add_tree(slapd, tree_with_nesting())
    env = await start_ldap(ldap_config(slapd, tree, password_signin=True))
    await env.api.admin()

    status, body = await _signin(env, "alice", "pw-alice")

    assert status == 200, body
    assert body["email"] == "alice@example.org"
    assert body["token"]
    held = await ldap_memberships(env.database)
    assert held["staff"] == {"alice@example.org"}
    assert held["everyone"] == {"alice@example.org"}  # through the nested group
    assert "ops" not in held  # bob's group: bob has not signed in, no sync ran
    assert (await accounts(env.database))["alice@example.org"] == (
        tree.user_dn("alice").lower(),
        True,
    )
    me = await env.api.client.get(
        "/api/v1/auths/", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert me.status_code == 200
    assert me.json()["id"] == body["id"]

    directory = slapd.admin()
    try:
        directory.modify(
            tree.group_dn("staff"), {"member": [(ldap3.MODIFY_REPLACE, [tree.user_dn("bob")])]}
        )
        directory.modify(
            tree.group_dn("ops"), {"member": [(ldap3.MODIFY_ADD, [tree.user_dn("alice")])]}
        )
    finally:
        directory.unbind()
    status, again = await _signin(env, "alice@example.org", "pw-alice")  # by e-mail too

    assert status == 200, again
    assert again["id"] == body["id"]
    held = await ldap_memberships(env.database)
    assert held["ops"] == {"alice@example.org"}
    assert held["staff"] == set()
    assert held["everyone"] == set()


async def test_a_wrong_password_is_400_and_counted_by_the_throttle(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = add_tree(slapd, tree_with_nesting())
    env = await start_ldap(
        ldap_config(slapd, tree, password_signin=True), signin_max_failures_per_account=2
    )
    await env.api.admin()
    before = await table_counts(env.database)

    for _attempt in range(2):
        response = await refused(
            env.database,
            env.api.client.post(LDAP_SIGNIN, json={"user": "alice", "password": "wrong"}),
            400,
            recorded=("signin_failure", "audit_event"),
        )
        assert response.json()["detail"] == "The e-mail or password is incorrect."
    after = await table_counts(env.database)
    assert after["signin_failure"] == before["signin_failure"] + 4  # account and address, twice
    assert after["user"] == before["user"]  # no account made for a failed sign-in

    locked = await env.api.client.post(LDAP_SIGNIN, json={"user": "alice", "password": "pw-alice"})
    assert locked.status_code == 429
    assert "Retry-After" in locked.headers


async def test_unknown_users_and_empty_passwords_are_refused(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = add_tree(slapd, tree_with_nesting())
    env = await start_ldap(ldap_config(slapd, tree, password_signin=True))
    await env.api.admin()

    status, _body = await _signin(env, "nobody", "pw-alice")
    assert status == 400
    status, _body = await _signin(env, "alice", "")
    assert status == 422
    status, _body = await _signin(env, "*", "pw-alice")  # a filter, escaped: no such user
    assert status == 400


async def test_ldap_signin_is_403_when_not_configured(slapd: Slapd, start_ldap: StartLdap) -> None:
    tree = add_tree(slapd, tree_with_nesting())
    for config in (None, ldap_config(slapd, tree)):  # no directory; no password sign-in
        env = await start_ldap(config)
        response = await refused(
            env.database,
            env.api.client.post(LDAP_SIGNIN, json={"user": "alice", "password": "pw-alice"}),
            403,
        )
        assert "not configured" in response.json()["detail"]


async def test_a_directory_that_cannot_be_reached_counts_nothing(start_ldap: StartLdap) -> None:
    tree = tree_with_nesting()
    env = await start_ldap(
        ldap_config(f"ldap://127.0.0.1:{free_port()}", tree, password_signin=True)
    )
    await env.api.admin()

    response = await refused(
        env.database,
        env.api.client.post(LDAP_SIGNIN, json={"user": "alice", "password": "pw-alice"}),
        502,
    )
    assert "could not be read" in response.json()["detail"]


async def test_sync_at_signin_rereads_the_users_groups(slapd: Slapd, start_ldap: StartLdap) -> None:
    tree = add_tree(slapd, tree_with_nesting())
    env = await start_ldap(ldap_config(slapd, tree))
    await full_sync(env.database, env.runtime)
    directory = slapd.admin()
    try:
        directory.modify(
            tree.group_dn("ops"), {"member": [(ldap3.MODIFY_ADD, [tree.user_dn("alice")])]}
        )
    finally:
        directory.unbind()

    async with env.database.session() as session:
        user = await users_repository.get_user_by_email(session, "alice@example.org")
        assert user is not None
        changes = await sync_at_signin(session, env.runtime, user=user)

    assert changes is not None
    assert len(changes.added) == 1
    assert changes.removed == []
    held = await ldap_memberships(env.database)
    assert held["ops"] == {"alice@example.org", "bob@example.org"}
    assert held["everyone"] == {"alice@example.org", "bob@example.org"}


async def test_sync_at_signin_changes_nothing_when_the_directory_is_down(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = add_tree(slapd, tree_with_nesting())
    env = await start_ldap(ldap_config(slapd, tree))
    await full_sync(env.database, env.runtime)
    before = await ldap_memberships(env.database)
    assert env.runtime.identity.ldap is not None
    down = env.runtime.identity.ldap.model_copy(update={"url": f"ldap://127.0.0.1:{free_port()}"})
    env.runtime.identity = IdentityConfig(ldap=down)

    async with env.database.session() as session:
        user = await users_repository.get_user_by_email(session, "alice@example.org")
        assert user is not None
        assert await sync_at_signin(session, env.runtime, user=user) is None

    assert await ldap_memberships(env.database) == before
