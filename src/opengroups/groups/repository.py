"""The only place with SQL for groups and the hierarchy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Row,
    String,
    bindparam,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from opengroups.models import Group, GroupMember, GroupMemberSource

# Serializes hierarchy changes on PostgreSQL so that two concurrent moves cannot form a cycle.
# (SQLite write transactions are already serialized by BEGIN IMMEDIATE.)
_PG_HIERARCHY_LOCK = 0x67726F75  # "grou"


def escape_like(term: str) -> str:
    """``term`` with LIKE wildcards escaped (backslash is the escape character)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def get_group(session: AsyncSession, group_id: str) -> Group | None:
    return await session.get(Group, group_id)


async def get_revision(session: AsyncSession, group_id: str) -> int | None:
    result = await session.execute(select(Group.revision).where(Group.id == group_id))
    return result.scalar_one_or_none()


async def get_group_for_update(session: AsyncSession, group_id: str) -> Group | None:
    """The group, row-locked until the transaction ends (PostgreSQL; SQLite writers are
    serialized already), with fresh values even if the session had it loaded."""
    result = await session.execute(
        select(Group)
        .where(Group.id == group_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def get_group_by_name_key(session: AsyncSession, name_key: str) -> Group | None:
    result = await session.execute(select(Group).where(Group.name_key == name_key))
    return result.scalar_one_or_none()


async def get_group_with_count(session: AsyncSession, group_id: str) -> tuple[Group, int] | None:
    """The group and its direct member count, read fresh (the column is kept by triggers, so a
    loaded ``Group``'s own ``member_count`` may be out of date)."""
    result = await session.execute(select(Group, Group.member_count).where(Group.id == group_id))
    row = result.first()
    return None if row is None else (row[0], row[1])


def _where(
    conditions: Sequence[ColumnElement[bool]], query: str | None
) -> list[ColumnElement[bool]]:
    """``conditions`` plus a case-insensitive substring match of ``query`` on the name."""
    where = list(conditions)
    if query:
        pattern = f"%{escape_like(query.casefold())}%"
        where.append(Group.name_key.like(pattern, escape="\\"))
    return where


# What a listing shows of each group: the fields of ``GroupResponse``. Plain columns, not ORM
# objects: for a page of 50 that is a millisecond less.
_LISTED = (
    Group.id,
    Group.parent_group_id,
    Group.user_id,
    Group.name,
    Group.description,
    Group.data,
    Group.meta,
    Group.permissions,
    Group.created_at,
    Group.updated_at,
    Group.member_count,
)


async def list_groups(
    session: AsyncSession,
    *,
    conditions: Sequence[ColumnElement[bool]],
    query: str | None,
    limit: int | None,
    offset: int,
    params: Mapping[str, Any] | None = None,
) -> tuple[list[Row[Any]], int]:
    """Groups matching every condition, newest change first, as rows with the fields of
    ``GroupResponse`` (``member_count`` included), and how many match in all. ``params`` binds
    the parameters the conditions leave unbound."""
    where = _where(conditions, query)
    statement = select(*_LISTED).where(*where)
    paged = limit is not None or offset > 0
    if paged:  # the total comes with the page, computed once: one round trip fewer
        total = select(func.count()).select_from(Group).where(*where).scalar_subquery()
        statement = statement.add_columns(total.label("total"))
    statement = statement.order_by(Group.updated_at.desc(), Group.id.desc()).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    rows = list(await session.execute(statement, dict(params or {})))
    if not paged:
        return rows, len(rows)
    if rows:
        return rows, int(rows[0].total)
    return rows, await count_groups(session, conditions=conditions, query=query, params=params)


async def count_groups(
    session: AsyncSession,
    *,
    conditions: Sequence[ColumnElement[bool]],
    query: str | None,
    params: Mapping[str, Any] | None = None,
) -> int:
    statement = select(func.count()).select_from(Group).where(*_where(conditions, query))
    return int((await session.execute(statement, dict(params or {}))).scalar_one())


async def groups_by_ids(session: AsyncSession, group_ids: Iterable[str]) -> list[Group]:
    ids = list(set(group_ids))
    if not ids:
        return []
    result = await session.execute(
        select(Group).where(Group.id.in_(ids)).order_by(Group.updated_at.desc(), Group.id)
    )
    return list(result.scalars())


async def ancestor_ids(session: AsyncSession, group_id: str) -> list[str]:
    """``group_id`` and its ancestors, nearest first. UNION makes a stray cycle terminate."""
    chain = (
        select(Group.id, Group.parent_group_id, literal(0).label("level"))
        .where(Group.id == group_id)
        .cte("chain", recursive=True)
    )
    parent = aliased(Group)
    chain = chain.union(
        select(parent.id, parent.parent_group_id, (chain.c.level + 1).label("level")).join(
            chain, parent.id == chain.c.parent_group_id
        )
    )
    result = await session.execute(
        select(chain.c.id, func.min(chain.c.level))
        .group_by(chain.c.id)
        .order_by(func.min(chain.c.level))
    )
    return [row[0] for row in result]


def descendants_cte(group_id: str):  # type: ignore[no-untyped-def]
    """A CTE of ``(id, level)``: the group (level 0) and every group below it."""
    tree = (
        select(Group.id, literal(0).label("level"))
        .where(Group.id == group_id)
        .cte("tree", recursive=True)
    )
    child = aliased(Group)
    return tree.union(
        select(child.id, (tree.c.level + 1).label("level")).join(
            tree, child.parent_group_id == tree.c.id
        )
    )


# The bound parameter naming the group whose subtree ``SUBTREE_IDS`` lists.
SUBTREE_ROOT = "subtree_root"


def _subtree_ids() -> CTE:
    tree = (
        select(Group.id)
        .where(Group.id == bindparam(SUBTREE_ROOT, type_=String()))
        .cte("subtree", recursive=True)
    )
    child = aliased(Group)
    return tree.union(select(child.id).join(tree, child.parent_group_id == tree.c.id))


# A CTE of ``id``: the group bound as ``subtree_root`` (when it exists) and every group below
# it. Without a level column, UNION drops repeats, so even a cycle written outside the API ends
# the recursion. Built once: statements using it are compiled and cached once too.
SUBTREE_IDS = _subtree_ids()

_SUBTREE_ROWS = select(
    Group.id, Group.parent_group_id, Group.member_count, Group.members_version
).where(Group.id.in_(select(SUBTREE_IDS.c.id)))


async def subtree_rows(
    session: AsyncSession, group_id: str
) -> list[tuple[str, str | None, int, int]]:
    """``(id, parent_group_id, member_count, members_version)`` of the group and of every group
    below it; empty when the group does not exist."""
    result = await session.execute(_SUBTREE_ROWS, {SUBTREE_ROOT: group_id})
    return [(gid, parent, int(count), int(version)) for gid, parent, count, version in result]


async def descendant_levels(session: AsyncSession, group_id: str) -> dict[str, int]:
    """Every group in the subtree of ``group_id`` (itself included) with its distance from it."""
    tree = descendants_cte(group_id)
    result = await session.execute(select(tree.c.id, func.min(tree.c.level)).group_by(tree.c.id))
    return {row[0]: row[1] for row in result}


async def child_ids(session: AsyncSession, group_id: str) -> list[str]:
    result = await session.execute(select(Group.id).where(Group.parent_group_id == group_id))
    return list(result.scalars())


async def reparent_children(
    session: AsyncSession, *, group_id: str, new_parent_id: str | None, now: int
) -> list[str]:
    """Move the children of ``group_id`` under ``new_parent_id``; returns their ids."""
    children = await child_ids(session, group_id)
    if children:
        await session.execute(
            update(Group)
            .where(Group.id.in_(children))
            .values(parent_group_id=new_parent_id, updated_at=now, revision=Group.revision + 1)
        )
    return children


async def delete_group(session: AsyncSession, group_id: str) -> None:
    """Delete the row, its memberships and their sources.

    Sources first, each table by its own key range: left to the foreign-key cascade, SQLite
    looks the sources up one membership at a time (a third slower for 50,000 members).
    """
    await session.execute(delete(GroupMemberSource).where(GroupMemberSource.group_id == group_id))
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
    await session.execute(delete(Group).where(Group.id == group_id))


async def touch_groups(session: AsyncSession, group_ids: Iterable[str], now: int) -> None:
    ids = list(set(group_ids))
    if ids:
        await session.execute(
            update(Group)
            .where(Group.id.in_(ids))
            .values(updated_at=now, revision=Group.revision + 1)
        )


async def lock_hierarchy(session: AsyncSession) -> None:
    """Serialize hierarchy changes for the rest of the transaction (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_HIERARCHY_LOCK}
        )


async def all_groups(session: AsyncSession) -> list[Group]:
    result = await session.execute(select(Group).order_by(Group.name_key, Group.id))
    return list(result.scalars())


async def parent_map(session: AsyncSession) -> dict[str, str | None]:
    """``{group_id: parent_group_id}`` of every group (10,000 groups is a few hundred KB)."""
    result = await session.execute(select(Group.id, Group.parent_group_id))
    return {group_id: parent for group_id, parent in result}


async def groups_by_name_keys(session: AsyncSession, name_keys: Iterable[str]) -> list[Group]:
    keys = sorted(set(name_keys))
    found: list[Group] = []
    for start in range(0, len(keys), 5_000):
        chunk = keys[start : start + 5_000]
        found += (await session.execute(select(Group).where(Group.name_key.in_(chunk)))).scalars()
    return found


async def outline(session: AsyncSession) -> list[tuple[str, str, str | None]]:
    """``(id, name, parent_group_id)`` of every group, by name: enough to draw the tree."""
    result = await session.execute(
        select(Group.id, Group.name, Group.parent_group_id).order_by(Group.name_key, Group.id)
    )
    return [(group_id, name, parent) for group_id, name, parent in result]


async def member_counts(session: AsyncSession, group_ids: Sequence[str]) -> dict[str, int]:
    """Direct members of each group, in one query."""
    if not group_ids:
        return {}
    result = await session.execute(
        select(Group.id, Group.member_count).where(Group.id.in_(list(group_ids)))
    )
    return {group_id: int(count) for group_id, count in result}
