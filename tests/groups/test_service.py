"""The groups service on a session, without HTTP: what a write returns (read once, with its
revision), what it records, and the tree as the admin page lists it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from opengroups.bootstrap import Runtime
from opengroups.errors import HierarchyError, NameTaken
from opengroups.groups import hierarchy
from opengroups.groups import service as groups
from opengroups.groups.schemas import GroupForm, GroupUpdateForm
from opengroups.kit.context import context_of
from opengroups.memberships import service as memberships
from opengroups.models import AccessGrant, Group, User
from opengroups.users import service as users
from tests.conftest import transaction


async def _owner(runtime: Runtime) -> User:
    async with transaction(runtime) as session:
        return await users.create_user(
            session, name="Owner", email="owner@example.com", role="admin", password_hash=None
        )


async def _create(runtime: Runtime, owner: User, name: str, **fields: object) -> str:
    async with transaction(runtime) as session:
        created = await groups.create_group(
            session,
            runtime.authz,
            actor=owner,
            form=GroupForm.model_validate({"name": name, **fields}),
            settings=runtime.settings,
        )
    return created.id


async def test_a_new_group_gets_the_default_share_and_its_owner(runtime: Runtime) -> None:
    owner = await _owner(runtime)
    async with transaction(runtime) as session:
        created = await groups.create_group(
            session,
            runtime.authz,
            actor=owner,
            form=GroupForm(name="Analysts"),
            settings=runtime.settings,
        )
        actions = [event["action"] for event in context_of(session).events]

    assert created.user_id == owner.id
    assert created.member_count == 0
    assert created.data == {"config": {"share": runtime.settings.default_group_share}}
    assert actions == ["group.create"]


async def test_an_update_returns_the_revision_it_stored(runtime: Runtime) -> None:
    owner = await _owner(runtime)
    group_id = await _create(runtime, owner, "Analysts")

    async with transaction(runtime) as session:
        changed = await groups.update_group(
            session,
            runtime.authz,
            group_id=group_id,
            form=GroupUpdateForm(description="Numbers"),
            settings=runtime.settings,
        )
    async with transaction(runtime) as session:
        unchanged = await groups.update_group(
            session,
            runtime.authz,
            group_id=group_id,
            form=GroupUpdateForm(description="Numbers"),
            settings=runtime.settings,
        )
        stored = (await session.execute(select(Group.revision).where(Group.id == group_id))).one()

    assert changed.value.description == "Numbers"
    assert changed.revision == 2
    assert unchanged.revision == 2  # nothing changed: no new revision
    assert stored == (2,)


async def test_a_change_of_reach_names_the_members_below(runtime: Runtime) -> None:
    owner = await _owner(runtime)
    parent = await _create(runtime, owner, "Parent")
    child = await _create(runtime, owner, "Child", parent_group_id=parent)
    async with transaction(runtime) as session:
        member = await users.create_user(
            session, name="M", email="m@example.com", role="user", password_hash=None
        )
    async with transaction(runtime) as session:
        await memberships.add_members(session, group_id=child, user_ids=[member.id])

    async with transaction(runtime) as session:
        group = await groups.lock_group(session, parent, if_match=None)
        await groups.apply_changes(session, group, {"description": "only words"}, now=1)
        await groups.apply_changes(
            session, group, {"permissions": {"chat": {"delete": True}}}, now=2
        )
        events = list(context_of(session).events)

    assert [event["affected_user_ids"] for event in events] == [None, [member.id]]


async def test_a_taken_name_and_a_cycle_are_refused(runtime: Runtime) -> None:
    owner = await _owner(runtime)
    parent = await _create(runtime, owner, "Parent")
    child = await _create(runtime, owner, "Child", parent_group_id=parent)

    async with transaction(runtime) as session:
        with pytest.raises(NameTaken):
            await groups.update_group(
                session,
                runtime.authz,
                group_id=child,
                form=GroupUpdateForm(name="PARENT"),
                settings=runtime.settings,
            )
        with pytest.raises(HierarchyError):
            await groups.update_group(
                session,
                runtime.authz,
                group_id=parent,
                form=GroupUpdateForm(parent_group_id=child),
                settings=runtime.settings,
            )
        assert context_of(session).events == []


async def test_deleting_a_group_moves_its_children_and_drops_its_grants(runtime: Runtime) -> None:
    owner = await _owner(runtime)
    top = await _create(runtime, owner, "Top")
    middle = await _create(runtime, owner, "Middle", parent_group_id=top)
    low = await _create(runtime, owner, "Low", parent_group_id=middle)
    async with transaction(runtime) as session:
        session.add_all(
            AccessGrant(
                resource_type="model",
                resource_id="m1",
                principal_type="group",
                principal_id=group_id,
                permission="read",
            )
            for group_id in (top, middle)
        )

    async with transaction(runtime) as session:
        await groups.delete_group(session, group_id=middle, settings=runtime.settings)
    async with transaction(runtime) as session:
        parent = (await session.execute(select(Group.parent_group_id).where(Group.id == low))).one()
        grants = list((await session.execute(select(AccessGrant.principal_id))).scalars())

    assert parent == (top,)
    assert grants == [top]


async def test_the_tree_is_listed_depth_first_with_siblings_by_name(runtime: Runtime) -> None:
    owner = await _owner(runtime)
    beta = await _create(runtime, owner, "beta")
    alpha = await _create(runtime, owner, "Alpha")
    await _create(runtime, owner, "b-child", parent_group_id=beta)
    await _create(runtime, owner, "a-child", parent_group_id=beta)
    await _create(runtime, owner, "alpha-child", parent_group_id=alpha)

    async with transaction(runtime) as session:
        tree = await groups.tree(session)
    rows, total = groups.tree_page(tree, query=None, page=1, page_size=10)
    second, _ = groups.tree_page(tree, query=None, page=2, page_size=2)
    found, matching = groups.tree_page(tree, query="CHILD", page=1, page_size=10)
    parents = groups.possible_parents(tree, beta)

    assert [(row.name, row.depth) for row in rows] == [
        ("Alpha", 0),
        ("alpha-child", 1),
        ("beta", 0),
        ("a-child", 1),
        ("b-child", 1),
    ]
    assert total == 5
    assert [row.name for row in second] == ["beta", "a-child"]
    assert [row.name for row in found] == ["alpha-child", "a-child", "b-child"]
    assert matching == 3
    assert [row.name for row in rows if row.has_children] == ["Alpha", "beta"]
    assert [row.name for row in parents] == ["Alpha", "alpha-child"]


def test_depths_follow_parents_and_refuse_a_cycle() -> None:
    parents = {"a": None, "b": "a", "c": "b", "x": "y", "y": "x"}

    assert hierarchy.depths(["c", "a"], parents) == {"a": 1, "b": 2, "c": 3}
    with pytest.raises(hierarchy.CycleError) as raised:
        hierarchy.depths(["x"], parents)
    assert raised.value.trail == ["x", "y", "x"]
