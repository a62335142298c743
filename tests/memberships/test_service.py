"""The memberships service on a session: adding and removing members answers with the group as
written (its count and revision from the write itself), records exactly who changed, and
refuses unknown users before writing anything."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from opengroups.bootstrap import Runtime
from opengroups.errors import UnknownUsers
from opengroups.groups import service as groups
from opengroups.groups.schemas import GroupForm
from opengroups.kit.context import context_of
from opengroups.memberships import service as memberships
from opengroups.models import Group, GroupMember, User
from opengroups.users import service as users
from tests.conftest import transaction


async def _setup(runtime: Runtime, count: int) -> tuple[str, list[str]]:
    async with transaction(runtime) as session:
        owner = await users.create_user(
            session, name="Owner", email="owner@example.com", role="admin", password_hash=None
        )
        people: list[User] = [
            await users.create_user(
                session, name=f"P{n}", email=f"p{n}@example.com", role="user", password_hash=None
            )
            for n in range(count)
        ]
        group = await groups.create_group(
            session,
            runtime.authz,
            actor=owner,
            form=GroupForm(name="Team"),
            settings=runtime.settings,
        )
    return group.id, [person.id for person in people]


async def test_adding_answers_with_the_count_and_revision_written(runtime: Runtime) -> None:
    group_id, people = await _setup(runtime, 3)

    async with transaction(runtime) as session:
        added = await memberships.add_members(session, group_id=group_id, user_ids=people[:2])
        events = [(e["action"], e["affected_user_ids"]) for e in context_of(session).events]
    async with transaction(runtime) as session:
        again = await memberships.add_members(session, group_id=group_id, user_ids=people[:2])
        repeated = list(context_of(session).events)
        stored = (
            await session.execute(
                select(Group.revision, Group.member_count).where(Group.id == group_id)
            )
        ).one()

    assert (added.value.member_count, added.revision) == (2, 2)
    assert events == [("group.members.add", sorted(people[:2]))]
    assert (again.value.member_count, again.revision) == (2, 2)  # nobody new: no change
    assert repeated == []
    assert stored == (2, 2)


async def test_removing_answers_with_the_count_written(runtime: Runtime) -> None:
    group_id, people = await _setup(runtime, 3)
    async with transaction(runtime) as session:
        await memberships.add_members(session, group_id=group_id, user_ids=people)

    async with transaction(runtime) as session:
        removed = await memberships.remove_members(session, group_id=group_id, user_ids=people[1:])

    assert (removed.value.member_count, removed.revision) == (1, 3)


async def test_unknown_users_are_refused_before_anything_is_written(runtime: Runtime) -> None:
    group_id, people = await _setup(runtime, 1)

    async with transaction(runtime) as session:
        with pytest.raises(UnknownUsers) as refused:
            await memberships.add_members(
                session, group_id=group_id, user_ids=[people[0], "ghost", "phantom"]
            )
        rows = (await session.execute(select(func.count()).select_from(GroupMember))).scalar()
        events = list(context_of(session).events)

    assert refused.value.user_ids == ["ghost", "phantom"]
    assert rows == 0
    assert events == []
