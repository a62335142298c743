"""The only place with SQL for SCIM: provisioning clients, and the reads SCIM resources need."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.kit.sql import chunked
from opengroups.models import Group, GroupMember, ScimClient, User


async def clients(session: AsyncSession) -> list[ScimClient]:
    result = await session.execute(
        select(ScimClient).order_by(ScimClient.created_at, ScimClient.id)
    )
    return list(result.scalars())


async def client_for_update(session: AsyncSession, client_id: str) -> ScimClient | None:
    result = await session.execute(
        select(ScimClient).where(ScimClient.id == client_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def client_by_token_hash(session: AsyncSession, token_hash: str) -> ScimClient | None:
    result = await session.execute(select(ScimClient).where(ScimClient.token_hash == token_hash))
    return result.scalar_one_or_none()


async def mark_used(session: AsyncSession, client_id: str, at: int) -> None:
    await session.execute(
        update(ScimClient).where(ScimClient.id == client_id).values(last_used_at=at)
    )


async def page(
    session: AsyncSession,
    model: type[User] | type[Group],
    *,
    where: ColumnElement[bool] | None,
    order: ColumnElement[Any] | None,
    descending: bool,
    offset: int,
    limit: int,
) -> tuple[int, list[Any]]:
    """``(total, rows)`` of a listing: the total matching ``where`` and one page of them, both
    counted and cut by the database."""
    base: Select[Any] = select(model)
    counting = select(func.count()).select_from(model)
    if where is not None:
        base = base.where(where)
        counting = counting.where(where)
    total = int((await session.execute(counting)).scalar_one())
    if limit == 0 or offset >= total:
        return total, []
    # RFC 7644 §3.4.2.3: resources without a value sort last ascending, first descending.
    keys: list[Any] = []
    if order is not None:
        keys.append(order.desc().nulls_first() if descending else order.asc().nulls_last())
    keys.append(model.id.desc() if descending else model.id.asc())
    base = base.order_by(*keys)
    rows = await session.execute(base.offset(offset).limit(limit))
    return total, list(rows.scalars())


async def groups_of_users(
    session: AsyncSession, user_ids: Sequence[str]
) -> dict[str, list[tuple[str, str]]]:
    """Each user's direct groups as ``(id, name)``, by name."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for chunk in chunked(user_ids):
        result = await session.execute(
            select(GroupMember.user_id, Group.id, Group.name)
            .join(Group, Group.id == GroupMember.group_id)
            .where(GroupMember.user_id.in_(chunk))
            .order_by(Group.name, Group.id)
        )
        for user_id, group_id, name in result:
            found[user_id].append((group_id, name))
    return found


async def member_ids(session: AsyncSession, group_id: str) -> tuple[list[str], list[str]]:
    """The group's direct members: ``(user ids, ids of its child groups)``, each sorted."""
    return (await members_of(session, [group_id]))[group_id]


async def members_of(
    session: AsyncSession, group_ids: Sequence[str]
) -> dict[str, tuple[list[str], list[str]]]:
    """``member_ids`` of each of these groups, in two queries per chunk (a page of groups is
    answered without a query per group)."""
    found: dict[str, tuple[list[str], list[str]]] = {gid: ([], []) for gid in group_ids}
    for chunk in chunked(list(found)):
        users = await session.execute(
            select(GroupMember.group_id, GroupMember.user_id)
            .where(GroupMember.group_id.in_(chunk))
            .order_by(GroupMember.group_id, GroupMember.user_id)
        )
        for group_id, user_id in users:
            found[group_id][0].append(user_id)
        children = await session.execute(
            select(Group.parent_group_id, Group.id)
            .where(Group.parent_group_id.in_(chunk))
            .order_by(Group.parent_group_id, Group.id)
        )
        for parent_id, child_id in children:
            if parent_id is not None:
                found[parent_id][1].append(child_id)
    return found


async def existing_ids(session: AsyncSession, ids: Sequence[str]) -> tuple[set[str], set[str]]:
    """Which of these ids name users, and which name groups."""
    users: set[str] = set()
    groups: set[str] = set()
    for chunk in chunked(ids):
        users.update((await session.execute(select(User.id).where(User.id.in_(chunk)))).scalars())
        groups.update(
            (await session.execute(select(Group.id).where(Group.id.in_(chunk)))).scalars()
        )
    return users, groups


async def user_by_user_name_key(session: AsyncSession, key: str) -> User | None:
    """The user whose SCIM userName is ``key`` (lower-cased): their own, or their e-mail."""
    result = await session.execute(
        select(User).where(
            (User.user_name_key == key) | ((User.user_name_key.is_(None)) & (User.email == key))
        )
    )
    return result.scalars().first()
