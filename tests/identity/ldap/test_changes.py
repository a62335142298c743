"""A second full sync after the directory changed: only the difference is applied, and what
the sync does not own (manual and default-group memberships, accounts and groups it did not
create) stays."""

from __future__ import annotations

import ldap3  # type: ignore[import-untyped]
from sqlalchemy import func, select

from opengroups.identity.ldap.sync import full_sync
from opengroups.kit.db import Database
from opengroups.models import AuditEvent
from tests.identity.ldap.conftest import (
    LdapApp,
    StartLdap,
    accounts,
    add_tree,
    fresh_tree,
    group_names,
    ldap_config,
    ldap_memberships,
    sources_of,
    user_emails,
)
from tests.identity.ldap.data import Tree
from tests.identity.ldap.slapd import Slapd


def small_tree() -> Tree:
    tree = fresh_tree()
    for uid in "abcdefgh":
        tree.add_user(uid)
    tree.add_group("staff", {"a", "b", "c"}, {"eng"})
    tree.add_group("eng", {"d", "e"})
    tree.add_group("ops", {"f"})
    tree.add_group("old", {"g"})
    return tree


async def _last_event_id(database: Database) -> int:
    async with database.session(write=False) as session:
        return int((await session.execute(select(func.max(AuditEvent.id)))).scalar_one() or 0)


async def test_a_second_sync_applies_only_the_difference(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = add_tree(slapd, small_tree())
    env = await start_ldap(ldap_config(slapd, tree))
    admin = await env.api.admin()
    everyone = await env.api.group("everyone")
    response = await env.api.post(
        "/api/v1/auths/admin/config", {"DEFAULT_GROUP_ID": everyone["id"]}
    )
    assert response.status_code == 200, response.text
    first = await full_sync(env.database, env.runtime)
    assert first.problem is None
    assert (await ldap_memberships(env.database))["staff"] == {f"{u}@example.org" for u in "abcde"}
    linked = await accounts(env.database)
    ids = {email: subject for email, (subject, _created) in linked.items()}
    groups = {g["name"]: g for g in (await env.api.get("/api/v1/groups/")).json()}
    # A manual membership of a user the directory also puts in the group.
    d_id = await _user_id(env, "d@example.org")
    c_id = await _user_id(env, "c@example.org")
    await env.api.add(groups["staff"]["id"], d_id)
    before = await _last_event_id(env.database)

    directory = slapd.admin()
    try:
        eng, ops = tree.group_dn("eng"), tree.group_dn("ops")
        directory.modify(eng, {"member": [(ldap3.MODIFY_DELETE, [tree.user_dn("d")])]})
        directory.modify(ops, {"member": [(ldap3.MODIFY_ADD, [tree.user_dn("h")])]})
        directory.modify_dn(ops, "cn=operations")
        directory.modify_dn(tree.user_dn("c"), "uid=c2")  # renamed; same e-mail
        directory.modify(
            tree.group_dn("staff"),
            {
                "member": [
                    (
                        ldap3.MODIFY_REPLACE,
                        [tree.user_dn(u) for u in "ab"] + [tree.user_dn("c2"), eng],
                    )
                ]
            },
        )
        directory.delete(tree.group_dn("old"))
        directory.delete(tree.user_dn("g"))
    finally:
        directory.unbind()

    second = await full_sync(env.database, env.runtime)

    assert second.problem is None
    held = await ldap_memberships(env.database)
    assert held["staff"] == {f"{u}@example.org" for u in "abce"}
    assert held["eng"] == {"e@example.org"}
    assert held["operations"] == {"f@example.org", "h@example.org"}
    names = await group_names(env.database)
    assert "ops" not in names
    assert "old" not in names
    assert "g@example.org" not in await user_emails(env.database)
    assert await _user_id(env, "c@example.org") == c_id  # the renamed entry kept its account
    assert (await accounts(env.database))["c@example.org"][0] == tree.user_dn("c2").lower()
    assert ids["a@example.org"] == (await accounts(env.database))["a@example.org"][0]
    # The manual membership and the default group's stay.
    assert (await sources_of(env.database, "staff"))["d@example.org"] == {"manual"}
    everyone_members = await sources_of(env.database, "everyone")
    assert set(everyone_members) == {f"{u}@example.org" for u in "abcdefh"}
    assert all(sources == {"default"} for sources in everyone_members.values())
    assert admin.email not in everyone_members
    # Only the changed groups were written: staff and eng lost d (who stays in staff by the
    # manual source, so only eng records a removal), operations is new.
    async with env.database.session(write=False) as session:
        rows = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.resource_id).where(AuditEvent.id > before)
            )
        ).all()
    membership_groups = {rid for action, rid in rows if action.startswith("group.members.")}
    new_groups = {g["name"]: g["id"] for g in (await env.api.get("/api/v1/groups/")).json()}
    assert membership_groups == {groups["eng"]["id"], new_groups["operations"]}
    assert second.members_removed == 2  # d from staff and from eng, as the source sees it
    assert second.users_deleted == 1
    assert second.groups_deleted == 2

    third = await full_sync(env.database, env.runtime)
    assert (third.groups_changed, third.members_added, third.members_removed) == (0, 0, 0)


async def _user_id(env: LdapApp, email: str) -> str:
    response = await env.api.get("/api/v1/users/", query=email)
    matches = [u["id"] for u in response.json()["users"] if u["email"] == email]
    assert len(matches) == 1, response.text
    return str(matches[0])
