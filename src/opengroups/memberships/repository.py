"""The only place with SQL for memberships."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Literal

from sqlalchemy import ColumnElement, Select, case, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from opengroups.authz.revision import bump_revision
from opengroups.groups.repository import descendants_cte, escape_like
from opengroups.models import Group, GroupMember, GroupMemberSource, User, now_epoch
from opengroups.models.upsert import insert_ignore

MembershipFilter = Literal["direct", "inherited", "effective"]
# Bound parameters per IN list: well under SQLite's and asyncpg's limits (32,766 / 32,767).
CHUNK = 5_000


def chunked(items: Sequence[str], size: int = CHUNK) -> list[list[str]]:
    values = list(items)
    return [values[i : i + size] for i in range(0, len(values), size)]


def effective_group_ids_query(user_id: str) -> Select[str]:
    """Ids of the groups ``user_id`` is an effective member of: its direct groups and their
    ancestors."""
    groups = (
        select(GroupMember.group_id.label("id"))
        .where(GroupMember.user_id == user_id)
        .cte("effective_groups", recursive=True)
    )
    parent = aliased(Group)
    groups = groups.union(
        select(parent.parent_group_id)
        .join(groups, parent.id == groups.c.id)
        .where(parent.parent_group_id.is_not(None))
    )
    return select(groups.c.id)


async def effective_group_ids(session: AsyncSession, user_id: str) -> set[str]:
    result = await session.execute(effective_group_ids_query(user_id))
    return {row for row in result.scalars() if row is not None}


async def direct_group_ids(session: AsyncSession, user_id: str) -> set[str]:
    result = await session.execute(
        select(GroupMember.group_id).where(GroupMember.user_id == user_id)
    )
    return set(result.scalars())


async def direct_group_ids_by_user(
    session: AsyncSession, user_ids: Sequence[str]
) -> dict[str, list[str]]:
    """Direct group ids of each user, in one query."""
    by_user: dict[str, list[str]] = defaultdict(list)
    if user_ids:
        result = await session.execute(
            select(GroupMember.user_id, GroupMember.group_id)
            .where(GroupMember.user_id.in_(list(user_ids)))
            .order_by(GroupMember.user_id, GroupMember.group_id)
        )
        for user_id, group_id in result:
            by_user[user_id].append(group_id)
    return by_user


async def existing_member_ids(
    session: AsyncSession, group_id: str, user_ids: Sequence[str]
) -> set[str]:
    if not user_ids:
        return set()
    result = await session.execute(
        select(GroupMember.user_id).where(
            GroupMember.group_id == group_id, GroupMember.user_id.in_(list(user_ids))
        )
    )
    return set(result.scalars())


async def add_memberships(
    session: AsyncSession, *, group_id: str, user_ids: Sequence[str], source: str
) -> None:
    """Make each user a direct member held by ``source`` (insert-if-absent, no read first)."""
    if not user_ids:
        return
    await bump_revision(session)
    now = now_epoch()
    await insert_ignore(
        session,
        GroupMember.__table__,  # type: ignore[arg-type]
        [{"group_id": group_id, "user_id": uid, "created_at": now} for uid in user_ids],
    )
    await insert_ignore(
        session,
        GroupMemberSource.__table__,  # type: ignore[arg-type]
        [
            {"group_id": group_id, "user_id": uid, "source": source, "created_at": now}
            for uid in user_ids
        ],
    )


async def delete_memberships(
    session: AsyncSession, *, group_id: str, user_ids: Sequence[str]
) -> list[str]:
    """Remove the users from the group whatever holds them; returns who was actually removed."""
    if not user_ids:
        return []
    await bump_revision(session)
    await session.execute(
        delete(GroupMemberSource).where(
            GroupMemberSource.group_id == group_id,
            GroupMemberSource.user_id.in_(list(user_ids)),
        )
    )
    result = await session.execute(
        delete(GroupMember)
        .where(GroupMember.group_id == group_id, GroupMember.user_id.in_(list(user_ids)))
        .returning(GroupMember.user_id)
    )
    return list(result.scalars())


async def delete_user_memberships(session: AsyncSession, user_id: str) -> list[str]:
    """Remove the user from every group; returns the group ids."""
    await bump_revision(session)
    await session.execute(delete(GroupMemberSource).where(GroupMemberSource.user_id == user_id))
    result = await session.execute(
        delete(GroupMember).where(GroupMember.user_id == user_id).returning(GroupMember.group_id)
    )
    return list(result.scalars())


async def effective_member_ids(session: AsyncSession, group_id: str) -> list[str]:
    """Direct members of the group and of every group below it."""
    tree = descendants_cte(group_id)
    result = await session.execute(
        select(GroupMember.user_id)
        .where(GroupMember.group_id.in_(select(tree.c.id)))
        .distinct()
        .order_by(GroupMember.user_id)
    )
    return list(result.scalars())


async def direct_member_ids(session: AsyncSession, group_id: str) -> list[str]:
    result = await session.execute(
        select(GroupMember.user_id)
        .where(GroupMember.group_id == group_id)
        .order_by(GroupMember.user_id)
    )
    return list(result.scalars())


async def direct_members(session: AsyncSession, group_id: str) -> list[User]:
    result = await session.execute(
        select(User)
        .join(GroupMember, GroupMember.user_id == User.id)
        .where(GroupMember.group_id == group_id)
        .order_by(User.name, User.id)
    )
    return list(result.scalars())


def _user_search(query: str | None) -> ColumnElement[bool] | None:
    if not query:
        return None
    pattern = f"%{escape_like(query)}%"
    return or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))


async def member_page(
    session: AsyncSession,
    *,
    group_id: str,
    membership: MembershipFilter,
    query: str | None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[User, bool]], int, dict[str, int]]:
    """A page of the group's members as ``(user, is_direct)``, the total and the counts.

    Effective members are the direct members of the group and of every group below it.
    """
    tree = descendants_cte(group_id)
    per_user = (
        select(
            GroupMember.user_id.label("user_id"),
            func.max(case((GroupMember.group_id == group_id, 1), else_=0)).label("direct"),
        )
        .where(GroupMember.group_id.in_(select(tree.c.id)))
        .group_by(GroupMember.user_id)
        .subquery("per_user")
    )
    search = _user_search(query)
    base = select(User, per_user.c.direct).join(per_user, per_user.c.user_id == User.id)
    counts_statement = select(
        func.count(), func.coalesce(func.sum(per_user.c.direct), 0)
    ).select_from(per_user.join(User, per_user.c.user_id == User.id))
    if search is not None:
        base = base.where(search)
        counts_statement = counts_statement.where(search)
    if membership == "direct":
        base = base.where(per_user.c.direct == 1)
    elif membership == "inherited":
        base = base.where(per_user.c.direct == 0)
    effective, direct = (await session.execute(counts_statement)).one()
    counts = {
        "direct": int(direct),
        "effective": int(effective),
        "inherited": int(effective) - int(direct),
    }
    total = counts[membership]
    result = await session.execute(base.order_by(User.name, User.id).limit(limit).offset(offset))
    return [(user, bool(flag)) for user, flag in result], total, counts


async def via_group_ids(
    session: AsyncSession, *, group_id: str, user_ids: Sequence[str]
) -> dict[str, list[str]]:
    """For each user, the groups below ``group_id`` whose direct membership makes them effective."""
    if not user_ids:
        return {}
    tree = descendants_cte(group_id)
    result = await session.execute(
        select(GroupMember.user_id, GroupMember.group_id)
        .where(
            GroupMember.user_id.in_(list(user_ids)),
            GroupMember.group_id.in_(select(tree.c.id)),
            GroupMember.group_id != group_id,
        )
        .order_by(GroupMember.user_id, GroupMember.group_id)
    )
    via: dict[str, list[str]] = defaultdict(list)
    for user_id, via_id in result:
        via[user_id].append(via_id)
    return via


async def sources_by_user(
    session: AsyncSession, *, group_id: str, user_ids: Iterable[str]
) -> dict[str, list[str]]:
    ids = list(user_ids)
    if not ids:
        return {}
    result = await session.execute(
        select(GroupMemberSource.user_id, GroupMemberSource.source)
        .where(GroupMemberSource.group_id == group_id, GroupMemberSource.user_id.in_(ids))
        .order_by(GroupMemberSource.user_id, GroupMemberSource.source)
    )
    sources: dict[str, list[str]] = defaultdict(list)
    for user_id, source in result:
        sources[user_id].append(source)
    return sources


async def withdraw_source(
    session: AsyncSession, *, group_id: str, user_ids: Sequence[str], source: str
) -> list[str]:
    """Take ``source`` away from these memberships; a membership no source holds any more is
    deleted. Returns the users who stopped being members."""
    if not user_ids:
        return []
    await bump_revision(session)
    ids = list(user_ids)
    await session.execute(
        delete(GroupMemberSource).where(
            GroupMemberSource.group_id == group_id,
            GroupMemberSource.user_id.in_(ids),
            GroupMemberSource.source == source,
        )
    )
    still_held = (
        select(GroupMemberSource.user_id)
        .where(
            GroupMemberSource.group_id == GroupMember.group_id,
            GroupMemberSource.user_id == GroupMember.user_id,
        )
        .exists()
    )
    result = await session.execute(
        delete(GroupMember)
        .where(GroupMember.group_id == group_id, GroupMember.user_id.in_(ids), ~still_held)
        .returning(GroupMember.user_id)
    )
    return list(result.scalars())


async def members_by_source(
    session: AsyncSession, *, group_ids: Sequence[str], source: str
) -> dict[str, set[str]]:
    """For each group, the users whose membership ``source`` holds."""
    found: dict[str, set[str]] = defaultdict(set)
    for chunk in chunked(group_ids):
        result = await session.execute(
            select(GroupMemberSource.group_id, GroupMemberSource.user_id).where(
                GroupMemberSource.group_id.in_(chunk), GroupMemberSource.source == source
            )
        )
        for group_id, user_id in result:
            found[group_id].add(user_id)
    return found


async def members_of_groups(session: AsyncSession, group_ids: Sequence[str]) -> dict[str, set[str]]:
    """For each group, its direct members."""
    found: dict[str, set[str]] = defaultdict(set)
    for chunk in chunked(group_ids):
        result = await session.execute(
            select(GroupMember.group_id, GroupMember.user_id).where(GroupMember.group_id.in_(chunk))
        )
        for group_id, user_id in result:
            found[group_id].add(user_id)
    return found


async def all_members_with_users(session: AsyncSession) -> list[tuple[str, str, str, str]]:
    """``(group_id, user_id, email, name)`` of every direct membership, by group then e-mail."""
    result = await session.execute(
        select(GroupMember.group_id, User.id, User.email, User.name)
        .join(User, User.id == GroupMember.user_id)
        .order_by(GroupMember.group_id, User.email, User.id)
    )
    return [(g, u, e, n) for g, u, e, n in result]
