"""The only place with SQL for memberships."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import (
    Select,
    String,
    Text,
    bindparam,
    cast,
    delete,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from opengroups.authz.revision import bump_revision
from opengroups.groups.repository import SUBTREE_IDS, SUBTREE_ROOT
from opengroups.models import Group, GroupMember, GroupMemberSource, User, now_epoch
from opengroups.models.upsert import insert_ignore
from opengroups.planner_hints import unindexed

MembershipFilter = Literal["direct", "inherited", "effective"]
# Bound parameters per IN list: well under SQLite's and asyncpg's limits (32,766 / 32,767).
CHUNK = 5_000


def chunked(items: Sequence[str], size: int = CHUNK) -> list[list[str]]:
    values = list(items)
    return [values[i : i + size] for i in range(0, len(values), size)]


# The bound parameter naming the user whose groups ``EFFECTIVE_GROUP_IDS`` lists.
MEMBER_ID = "effective_member_id"


def _effective_group_ids() -> Select[str]:
    groups = (
        select(GroupMember.group_id.label("id"))
        .where(GroupMember.user_id == bindparam(MEMBER_ID, type_=String()))
        .cte("effective_groups", recursive=True)
    )
    parent = aliased(Group)
    groups = groups.union(
        select(parent.parent_group_id)
        .join(groups, parent.id == groups.c.id)
        .where(parent.parent_group_id.is_not(None))
    )
    return select(groups.c.id)


# Ids of the groups the user bound as ``effective_member_id`` is an effective member of: their
# direct groups and the ancestors of those. Built once, so that the queries using it are built
# and compiled once too.
EFFECTIVE_GROUP_IDS = _effective_group_ids()


async def effective_group_ids(session: AsyncSession, user_id: str) -> set[str]:
    result = await session.execute(EFFECTIVE_GROUP_IDS, {MEMBER_ID: user_id})
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


_EFFECTIVE_MEMBER_IDS = (
    select(GroupMember.user_id)
    .where(GroupMember.group_id.in_(select(SUBTREE_IDS.c.id)))
    .distinct()
    .order_by(GroupMember.user_id)
)


async def effective_member_ids(session: AsyncSession, group_id: str) -> list[str]:
    """Direct members of the group and of every group below it."""
    result = await session.execute(_EFFECTIVE_MEMBER_IDS, {SUBTREE_ROOT: group_id})
    return list(result.scalars())


async def direct_member_ids(session: AsyncSession, group_id: str) -> list[str]:
    result = await session.execute(
        select(GroupMember.user_id)
        .where(GroupMember.group_id == group_id)
        .order_by(GroupMember.user_id)
    )
    return list(result.scalars())


async def direct_member_ids_json(session: AsyncSession, group_id: str) -> str:
    """The direct members' ids as a JSON array (sorted), built by the database: for a group of
    50,000, passing one string costs a fraction of passing 50,000 rows through the driver."""
    if session.get_bind().dialect.name == "postgresql":
        array = cast(
            func.json_agg(aggregate_order_by(GroupMember.user_id, GroupMember.user_id)), Text
        )
        statement = select(func.coalesce(array, "[]")).where(GroupMember.group_id == group_id)
    else:
        ordered = (
            select(GroupMember.user_id)
            .where(GroupMember.group_id == group_id)
            .order_by(GroupMember.user_id)
            .subquery("ordered")
        )
        # SQLite aggregates in the order the ordered subquery (never flattened into an
        # aggregate) delivers its rows.
        statement = select(func.json_group_array(ordered.c.user_id))
    return str((await session.execute(statement)).scalar_one())


async def direct_members(session: AsyncSession, group_id: str) -> list[User]:
    result = await session.execute(
        select(User)
        .join(GroupMember, GroupMember.user_id == User.id)
        .where(GroupMember.group_id == group_id)
        .order_by(User.name, User.id)
    )
    return list(result.scalars())


# A page's details in one statement: for each user, the groups below the group that make them
# a member ("via"), whether they are a direct member ("direct"), and what holds a direct
# membership ("source"; only direct members have sources). Each user's own memberships (a few)
# are checked against the subtree: letting SQLite seek the (group, user) key for every group of
# the subtree times every user is a hundred times slower.
_PAGE_USERS: BindParameter[Any] = bindparam("user_ids", expanding=True)
_VIA_ROWS = select(
    literal("via").label("kind"),
    GroupMember.user_id.label("user_id"),
    GroupMember.group_id.label("value"),
).where(
    GroupMember.user_id.in_(_PAGE_USERS),
    unindexed(GroupMember.group_id).in_(
        select(SUBTREE_IDS.c.id).where(SUBTREE_IDS.c.id != bindparam(SUBTREE_ROOT))
    ),
)
_DIRECT_ROWS = select(
    literal("direct").label("kind"),
    GroupMember.user_id.label("user_id"),
    GroupMember.group_id.label("value"),
).where(GroupMember.group_id == bindparam(SUBTREE_ROOT), GroupMember.user_id.in_(_PAGE_USERS))
_SOURCE_ROWS = select(
    literal("source").label("kind"),
    GroupMemberSource.user_id.label("user_id"),
    GroupMemberSource.source.label("value"),
).where(
    GroupMemberSource.group_id == bindparam(SUBTREE_ROOT),
    GroupMemberSource.user_id.in_(_PAGE_USERS),
)
_DETAILS = {
    (via, direct): union_all(
        *([_VIA_ROWS] if via else []), *([_DIRECT_ROWS] if direct else []), _SOURCE_ROWS
    ).order_by("kind", "user_id", "value")
    for via in (False, True)
    for direct in (False, True)
}


@dataclass
class PageDetails:
    """What a members page shows besides the users themselves."""

    # For each user, the groups below the group whose direct membership makes them effective.
    via: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # The users who are direct members, when asked for.
    direct: set[str] = field(default_factory=set)
    # For each direct member, what holds the membership.
    sources: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


async def page_details(
    session: AsyncSession,
    *,
    group_id: str,
    user_ids: Sequence[str],
    with_via: bool,
    with_direct: bool,
) -> PageDetails:
    """``PageDetails`` of these users in the group, in one query, lists sorted. ``via`` is
    looked up only ``with_via`` (the group has groups below), ``direct`` only ``with_direct``."""
    details = PageDetails()
    if not user_ids:
        return details
    statement = _DETAILS[(with_via, with_direct)]
    result = await session.execute(statement, {SUBTREE_ROOT: group_id, "user_ids": list(user_ids)})
    for kind, user_id, value in result:
        if kind == "via":
            details.via[user_id].append(value)
        elif kind == "direct":
            details.direct.add(user_id)
        else:
            details.sources[user_id].append(value)
    return details


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
