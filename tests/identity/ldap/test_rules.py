"""What the sync may touch: it deletes only what it created; blocked groups are never joined;
unknown groups stay unknown without ``create_groups``; the member attributes; nesting's cap."""

from __future__ import annotations

import ldap3  # type: ignore[import-untyped]
import pytest

from opengroups.identity.ldap import nesting
from opengroups.identity.ldap.sync import full_sync
from tests.identity.ldap.conftest import (
    StartLdap,
    accounts,
    add_tree,
    fresh_tree,
    group_links,
    group_names,
    ldap_config,
    ldap_memberships,
    user_emails,
)
from tests.identity.ldap.slapd import Slapd


async def test_only_what_the_sync_created_is_deleted(slapd: Slapd, start_ldap: StartLdap) -> None:
    tree = fresh_tree()
    for uid in ("made", "known"):
        tree.add_user(uid)
    tree.add_group("made-group", {"made", "known"})
    tree.add_group("known-group", {"made", "known"})
    add_tree(slapd, tree)
    env = await start_ldap(ldap_config(slapd, tree))
    known_user = await env.api.user()  # an account the directory will match by e-mail
    known_group = await env.api.group("known-group")
    directory = slapd.admin()
    try:
        directory.modify(
            tree.user_dn("known"), {"mail": [(ldap3.MODIFY_REPLACE, [known_user.email])]}
        )
    finally:
        directory.unbind()
    await full_sync(env.database, env.runtime)
    linked = await accounts(env.database)
    assert linked[known_user.email][1] is False
    assert linked["made@example.org"][1] is True
    links = await group_links(env.database)
    assert links["known-group"][1] is False
    assert links["made-group"][1] is True
    assert (await ldap_memberships(env.database))["known-group"] == {
        "made@example.org",
        known_user.email,
    }

    directory = slapd.admin()
    try:
        for dn in (tree.group_dn("made-group"), tree.group_dn("known-group")):
            directory.delete(dn)
        for uid in ("made", "known"):
            directory.delete(tree.user_dn(uid))
        tree.add_user("stays")
        dn, attributes = tree.user_entry("stays")
        directory.add(dn, attributes=attributes)
    finally:
        directory.unbind()
    report = await full_sync(env.database, env.runtime)

    assert report.problem is None
    emails = await user_emails(env.database)
    assert known_user.email in emails
    assert "made@example.org" not in emails
    names = await group_names(env.database)
    assert "known-group" in names
    assert "made-group" not in names
    assert (await ldap_memberships(env.database))["known-group"] == set()
    assert known_group["name"] not in await group_links(env.database)
    assert known_user.email not in await accounts(env.database)
    assert (report.users_deleted, report.users_unlinked) == (1, 1)
    assert (report.groups_deleted, report.groups_unlinked) == (1, 1)


async def test_blocked_groups_are_never_joined(slapd: Slapd, start_ldap: StartLdap) -> None:
    tree = fresh_tree()
    tree.add_user("a")
    tree.add_group("admins", {"a"})
    tree.add_group("Wiki-Owners", {"a"})
    tree.add_group("readers", {"a"})
    add_tree(slapd, tree)
    env = await start_ldap(ldap_config(slapd, tree, groups={"blocked": ["admin*", "*-owners"]}))
    await env.api.group("admins")  # exists, and still must not be joined

    report = await full_sync(env.database, env.runtime)

    held = await ldap_memberships(env.database)
    assert held["readers"] == {"a@example.org"}
    assert held["admins"] == set()
    assert "Wiki-Owners" not in held
    assert sorted(report.groups_blocked) == ["Wiki-Owners", "admins"]


async def test_without_create_groups_unknown_groups_stay_unknown(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = fresh_tree()
    tree.add_user("a")
    tree.add_group("exists", {"a"})
    tree.add_group("unknown", {"a"})
    add_tree(slapd, tree)
    env = await start_ldap(ldap_config(slapd, tree, groups={"create_groups": False}))
    await env.api.group("exists")

    report = await full_sync(env.database, env.runtime)

    assert await group_names(env.database) == {"exists"}
    assert (await ldap_memberships(env.database))["exists"] == {"a@example.org"}
    assert report.groups_unknown == ["unknown"]
    assert set(await group_links(env.database)) == {"exists"}


async def test_without_create_users_only_existing_accounts_are_synced(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = fresh_tree()
    tree.add_user("a")
    tree.add_user("b")
    tree.add_group("g", {"a", "b"})
    add_tree(slapd, tree)
    env = await start_ldap(ldap_config(slapd, tree, create_users=False))
    account = await env.api.user()
    directory = slapd.admin()
    try:
        directory.modify(tree.user_dn("a"), {"mail": [(ldap3.MODIFY_REPLACE, [account.email])]})
    finally:
        directory.unbind()

    report = await full_sync(env.database, env.runtime)

    assert (await ldap_memberships(env.database))["g"] == {account.email}
    assert "b@example.org" not in await user_emails(env.database)
    assert (report.users_linked, report.users_created, report.users_skipped) == (1, 0, 1)


@pytest.mark.parametrize("attribute", ["uniqueMember", "memberOf"])
async def test_other_member_attributes_give_the_same_memberships(
    slapd: Slapd, start_ldap: StartLdap, attribute: str
) -> None:
    tree = fresh_tree()
    # memberOf is kept by slapd's overlay from groupOfNames' member values.
    tree.member_attribute = "uniqueMember" if attribute == "uniqueMember" else "member"
    for uid in "abcd":
        tree.add_user(uid)
    # Inner groups first: the overlay gives memberOf only to entries that exist.
    tree.add_group("innermost", {"d"})
    tree.add_group("inner", {"b", "c"}, {"innermost"})
    tree.add_group("outer", {"a"}, {"inner"})
    add_tree(slapd, tree)
    config = ldap_config(slapd, tree, member_attribute=attribute)

    env = await start_ldap(config)
    await full_sync(env.database, env.runtime)

    held = await ldap_memberships(env.database)
    assert held["outer"] == {f"{u}@example.org" for u in "abcd"}
    assert held["inner"] == {f"{u}@example.org" for u in "bcd"}
    assert held["innermost"] == {"d@example.org"}


async def test_nesting_deeper_than_nested_depth_is_not_followed(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    tree = fresh_tree()
    for uid in "abc":
        tree.add_user(uid)
    tree.add_group("top", {"a"}, {"middle"})
    tree.add_group("middle", {"b"}, {"bottom"})
    tree.add_group("bottom", {"c"}, {"top"})  # a cycle, too
    add_tree(slapd, tree)
    env = await start_ldap(ldap_config(slapd, tree, nested_depth=1))

    await full_sync(env.database, env.runtime)

    held = await ldap_memberships(env.database)
    assert held["top"] == {"a@example.org", "b@example.org"}
    assert held["middle"] == {"b@example.org", "c@example.org"}
    assert held["bottom"] == {"c@example.org", "a@example.org"}


@pytest.mark.parametrize(
    ("depth", "expected"),
    [
        (0, {"u1"}),
        (1, {"u1", "u2"}),
        (2, {"u1", "u2", "u3"}),
        (9, {"u1", "u2", "u3"}),
    ],
)
def test_effective_members_follow_nesting_to_the_depth_and_stop_at_cycles(
    depth: int, expected: set[str]
) -> None:
    members = {"g1": {"u1", "g2"}, "g2": {"u2", "g3"}, "g3": {"u3", "g1", "stray"}}
    users = {"u1", "u2", "u3"}

    assert nesting.effective_members(members, users, depth=depth)["g1"] == expected


def test_containing_walks_up_to_the_depth() -> None:
    parents = {"g3": {"g2"}, "g2": {"g1"}, "g1": {"g3"}}

    assert nesting.containing({"g3"}, parents, depth=1) == {"g3", "g2"}
    assert nesting.containing({"g3"}, parents, depth=5) == {"g1", "g2", "g3"}
