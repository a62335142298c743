"""The only place with SQL for groups and the hierarchy."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from opengroups.groups.names import name_key
from opengroups.kit.sql import chunked, escape_like
from opengroups.models import Group, GroupMember, GroupMemberSource


async def get_group(session: AsyncSession, group_id: str) -> Group | None:
    return await session.get(Group, group_id)


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
        pattern = f"%{escape_like(name_key(query))}%"
        where.append(Group.name_key.like(pattern, escape="\\"))
    return where


# What a listing shows of each group: the fields of ``GroupResponse``. Plain columns, not ORM
# objects, which cost more to build (docs/performance.md).
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


async def direct_member_ids(session: AsyncSession, group_id: str) -> list[str]:
    """The group's direct members, sorted."""
    result = await session.execute(
        select(GroupMember.user_id)
        .where(GroupMember.group_id == group_id)
        .order_by(GroupMember.user_id)
    )
    return list(result.scalars())


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
    looks the sources up one membership at a time, which is slower for a large group
    (``docs/performance.md``).
    """
    await session.execute(delete(GroupMemberSource).where(GroupMemberSource.group_id == group_id))
    await session.execute(delete(GroupMember).where(GroupMember.group_id == group_id))
    await session.execute(delete(Group).where(Group.id == group_id))


async def touch_group(session: AsyncSession, group: Group, now: int) -> None:
    """Note a change of the group's members: a new ``updated_at`` and revision. The loaded
    ``group`` is brought up to date from the row itself (its member count included, which the
    triggers keep), so nobody has to read it again."""
    result = await session.execute(
        update(Group)
        .where(Group.id == group.id)
        .values(updated_at=now, revision=Group.revision + 1)
        .returning(Group.revision, Group.updated_at, Group.member_count)
    )
    for key, value in result.one()._mapping.items():
        set_committed_value(group, key, value)


async def touch_groups(session: AsyncSession, group_ids: Iterable[str], now: int) -> None:
    ids = list(set(group_ids))
    if ids:
        await session.execute(
            update(Group)
            .where(Group.id.in_(ids))
            .values(updated_at=now, revision=Group.revision + 1)
        )


async def all_groups(session: AsyncSession) -> list[Group]:
    result = await session.execute(select(Group).order_by(Group.name_key, Group.id))
    return list(result.scalars())


async def parent_map(session: AsyncSession) -> dict[str, str | None]:
    """``{group_id: parent_group_id}`` of every group (10,000 groups is a few hundred KB)."""
    result = await session.execute(select(Group.id, Group.parent_group_id))
    return {group_id: parent for group_id, parent in result}


async def groups_by_name_keys(session: AsyncSession, name_keys: Iterable[str]) -> list[Group]:
    found: list[Group] = []
    for chunk in chunked(sorted(set(name_keys))):
        found += (await session.execute(select(Group).where(Group.name_key.in_(chunk)))).scalars()
    return found
