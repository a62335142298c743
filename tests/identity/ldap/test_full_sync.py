"""The full sync against a real slapd: the whole directory read, then applied."""

from __future__ import annotations

from sqlalchemy import func, select

from opengroups.identity.ldap.sync import full_sync
from opengroups.models import AuditEvent
from tests.identity.ldap.conftest import (
    BIG,
    StartLdap,
    accounts,
    group_links,
    ldap_config,
    ldap_memberships,
)
from tests.identity.ldap.slapd import Slapd


async def test_a_full_sync_gives_exactly_the_effective_memberships(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    env = await start_ldap(ldap_config(slapd, BIG))
    admin = await env.api.admin()

    report = await full_sync(env.database, env.runtime)

    assert report.problem is None
    assert (report.users, report.groups) == (1_000, 100)
    assert report.users_created == 1_000
    assert report.groups_created == 100
    expected = BIG.effective()
    held = await ldap_memberships(env.database)
    assert {name: held[name] for name in expected} == expected
    assert set(held) == set(expected) | {name for name in held if not held[name]}
    assert any(len(members) > 100 for members in expected.values())  # nesting did something
    linked = await accounts(env.database)
    assert set(linked) == set(BIG.users.values())
    assert all(created for _subject, created in linked.values())
    assert linked["u00007@example.org"][0] == BIG.user_dn("u00007").lower()
    links = await group_links(env.database)
    assert set(links) == set(BIG.groups)
    assert admin.email not in linked  # the admin is not in the directory: untouched

    async with env.database.session(write=False) as session:
        events = (
            (
                await session.execute(
                    select(AuditEvent.after).where(AuditEvent.action == "identity.sync")
                )
            )
            .scalars()
            .all()
        )
    assert len(events) == 1
    assert events[0]["users_created"] == 1_000
    assert len(str(events[0])) < 2_000  # a summary, not the directory


async def test_a_second_sync_of_an_unchanged_directory_writes_only_its_event(
    slapd: Slapd, start_ldap: StartLdap
) -> None:
    env = await start_ldap(ldap_config(slapd, BIG))
    await full_sync(env.database, env.runtime)
    async with env.database.session(write=False) as session:
        before = (await session.execute(select(func.max(AuditEvent.id)))).scalar_one()

    report = await full_sync(env.database, env.runtime)

    assert report.problem is None
    assert (report.users_created, report.groups_created, report.groups_changed) == (0, 0, 0)
    assert (report.members_added, report.members_removed) == (0, 0)
    async with env.database.session(write=False) as session:
        actions = (
            (await session.execute(select(AuditEvent.action).where(AuditEvent.id > before)))
            .scalars()
            .all()
        )
    assert actions == ["identity.sync"]
