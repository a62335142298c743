"""The SQL of a group's members page: its counts and one page of users, planned by size.

A page is ordered by user name (then id). Sorting every member of a 50,000-member group for
each page would cost tens of milliseconds, so a page is read one of three ways, whichever the
counts (known before the page is read) say is cheaper:

- **walk**: go through the ``user(name, id)`` index in order, from the nearer end, and keep the
  users who belong (an index probe each, and for effective or inherited members a look at the
  user's own memberships); cheap when the members are a large share of all users.
- **walk by set**: the same walk, but first gather the members of the groups below into a set,
  so each step is one probe of the group and one of the set; for long walks in a group with a
  modest subtree.
- **sort**: gather the members from ``group_member``, look their users up and sort them; cheap
  for a small group.

SQLite has no statistics to choose between the two, so the statements are shaped to leave it no
choice (``planner_hints.unindexed``). PostgreSQL plans both shapes itself. The choice changes
the cost, never the result.

Every statement is built once per shape with bound parameters (``subtree_root``, ``pattern``,
``skip``, ``take``), so building and compiling it costs nothing per request.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from opengroups.groups.repository import SUBTREE_IDS, SUBTREE_ROOT, escape_like, subtree_rows
from opengroups.memberships.repository import MembershipFilter
from opengroups.models import GroupMember, User
from opengroups.planner_hints import unindexed

# Relative costs per row, measured on SQLite: a step of a walk that probes one index, a step
# that scans the user's memberships too, a step that probes the group and a set, a membership
# put into that set, a member gathered, looked up and sorted.
_WALK_DIRECT = 1.0
_WALK_TREE = 4.0
_WALK_SET = 1.2
_GATHER_SET = 0.6
_SORT = 3.0
# Matching one user against a search (two LIKEs) costs about a tenth of a lookup.
_SEARCH_SCAN = 0.3

_Kind = Literal["direct", "effective", "inherited"]
_Plan = Literal["walk", "walk_by_set", "sort"]


@dataclass(frozen=True)
class Subtree:
    """A group and the groups below it, as far as its members page needs them."""

    group_id: str
    direct_count: int
    # Direct memberships of the groups below the group (a member of several counts for each).
    below_rows: int
    has_below: bool
    # Changes whenever a group joins or leaves the subtree or the direct members of one change.
    signature: str


async def subtree(session: AsyncSession, group_id: str) -> Subtree | None:
    """The group's subtree as ``Subtree``, or None when the group does not exist."""
    rows = sorted(await subtree_rows(session, group_id))
    own = [row for row in rows if row[0] == group_id]
    if not own:
        return None
    digest = hashlib.blake2b(repr(rows).encode(), digest_size=16)
    return Subtree(
        group_id=group_id,
        direct_count=own[0][2],
        below_rows=sum(row[2] for row in rows if row[0] != group_id),
        has_below=len(rows) > 1,
        signature=digest.hexdigest(),
    )


# --- building blocks (all bound to ``subtree_root``) ---------------------------------------

_ROOT = bindparam(SUBTREE_ROOT, type_=String())
_PATTERN = bindparam("pattern", type_=String())


def _is_direct() -> ColumnElement[bool]:
    """The current ``user`` row is a direct member of the group (one primary-key probe)."""
    own = aliased(GroupMember)
    # EXISTS (SELECT <an indexed column>): with SELECT *, SQLite 3.40 reads each table row.
    return exists(own.user_id).where(own.group_id == _ROOT, own.user_id == User.id)


def _tree_ids(*, below_only: bool) -> Select[Any]:
    ids = select(SUBTREE_IDS.c.id)
    return ids.where(SUBTREE_IDS.c.id != _ROOT) if below_only else ids


def _in_tree(*, below_only: bool) -> ColumnElement[bool]:
    """The current ``user`` row is a direct member of a group of the subtree (or strictly below
    the group): the user's own memberships are scanned, each checked against the subtree."""
    membership = aliased(GroupMember)
    return exists(membership.user_id).where(
        membership.user_id == User.id,
        unindexed(membership.group_id).in_(_tree_ids(below_only=below_only)),
    )


def _below_set() -> ColumnElement[bool]:
    """The current ``user`` row is a direct member of a group strictly below the group: one
    probe of the set of those members, which the database gathers once per statement."""
    below = select(GroupMember.user_id).where(GroupMember.group_id.in_(_tree_ids(below_only=True)))
    return unindexed(User.id).in_(below)


def _search(dialect: str) -> ColumnElement[bool]:
    """Name or e-mail contains ``pattern`` (a LIKE pattern with ``\\`` as escape), ignoring case.

    On SQLite, ``LIKE`` already ignores ASCII case and ``lower()`` folds nothing else, so the
    plain ``LIKE`` means the same as ``ILIKE`` at a third of the cost. On PostgreSQL, ``ILIKE``
    on a multibyte database is ``lower(text) LIKE lower(pattern)``; written out, the pattern is
    lowered once per query instead of once per row (a third faster).
    """
    if dialect == "sqlite":
        return or_(User.name.like(_PATTERN, escape="\\"), User.email.like(_PATTERN, escape="\\"))
    pattern = func.lower(_PATTERN)
    return or_(
        func.lower(User.name).like(pattern, escape="\\"),
        func.lower(User.email).like(pattern, escape="\\"),
    )


def _kind(tree: Subtree, membership: MembershipFilter) -> _Kind:
    """What must be checked: a group with nothing below it has only direct members."""
    return "direct" if not tree.has_below else membership


# How many users there are, by database URL, with when it was read: for planning only, where
# a figure a minute old chooses as well as an exact one (and a wrong one costs time, not results).
_USER_COUNTS: dict[str, tuple[float, int]] = {}
_USER_COUNT_SECONDS = 60.0


async def user_count(session: AsyncSession) -> int:
    """About how many users there are, for planning only: read at most once a minute; on
    SQLite the largest rowid (one b-tree descent), on PostgreSQL the planner's own estimate."""
    key = str(session.get_bind().engine.url)
    now = time.monotonic()
    known = _USER_COUNTS.get(key)
    if known is not None and now - known[0] < _USER_COUNT_SECONDS:
        return known[1]
    count: int | None = None
    if session.get_bind().dialect.name == "postgresql":
        estimate = (await session.execute(_PG_USER_ESTIMATE)).scalar()
        if estimate is not None and estimate >= 0:
            count = int(estimate)
        statement = select(func.count()).select_from(User)
    else:
        statement = select(func.coalesce(func.max(literal_column("rowid")), 0)).select_from(User)
    if count is None:
        count = int((await session.execute(statement)).scalar_one())
    _USER_COUNTS[key] = (now, max(1, count))
    return max(1, count)


_PG_USER_ESTIMATE = text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('\"user\"')")


_CUSTOM_PLANS = "opengroups_custom_plans"


async def use_custom_plans(session: AsyncSession) -> None:
    """On PostgreSQL, plan this transaction's statements for their actual values.

    After five runs of a prepared statement PostgreSQL may switch to a generic plan made for an
    average group and an unknown LIMIT: a walk over the name index becomes a sort of every user,
    170 ms instead of 2 ms for the largest group. SQLite has no plan cache to fool.
    """
    if session.get_bind().dialect.name == "postgresql" and not session.info.get(_CUSTOM_PLANS):
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        session.info[_CUSTOM_PLANS] = True


# --- counts --------------------------------------------------------------------------------


def _below_only_members() -> Select[Any]:
    below = (
        select(GroupMember.user_id)
        .where(GroupMember.group_id.in_(_tree_ids(below_only=True)))
        .distinct()
        .subquery("below")
    )
    own = aliased(GroupMember)
    return (
        select(func.count())
        .select_from(below)
        .where(~exists(own.user_id).where(own.group_id == _ROOT, own.user_id == below.c.user_id))
    )


_BELOW_ONLY_MEMBERS = _below_only_members()
# The same count by going through every user once: cheaper when the groups below hold more
# memberships than there are users (the root of a tree with several huge groups).
_BELOW_ONLY_USERS = (
    select(func.count()).select_from(User).where(~_is_direct(), _in_tree(below_only=True))
)


async def below_only_members(session: AsyncSession, tree: Subtree) -> int:
    """Users who are direct members of a group below the group but not of the group itself:
    the inherited count (the effective count is this plus the direct count)."""
    if not tree.has_below:
        return 0
    users = await user_count(session)
    by_users = users * _WALK_TREE < tree.below_rows * _SORT
    statement = _BELOW_ONLY_USERS if by_users else _BELOW_ONLY_MEMBERS
    result = await session.execute(statement, {SUBTREE_ROOT: tree.group_id})
    return int(result.scalar_one())


@cache
def _matching_counts_statement(
    dialect: str, *, scan_users: bool, has_below: bool, by_set: bool
) -> Select[int, int]:
    search = _search(dialect)
    if scan_users:
        if not has_below:
            return select(func.count(), func.count()).select_from(User).where(search, _is_direct())
        member = or_(_is_direct(), _below_set()) if by_set else _in_tree(below_only=False)
        return (
            select(func.count(), func.count(case((_is_direct(), 1))))
            .select_from(User)
            .where(search, member)
        )
    return (
        select(
            func.count(User.id.distinct()),
            func.count(case((GroupMember.group_id == _ROOT, User.id)).distinct()),
        )
        .select_from(GroupMember)
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id.in_(_tree_ids(below_only=False)), search)
    )


async def matching_counts(
    session: AsyncSession, tree: Subtree, *, query: str, users: int
) -> tuple[int, int]:
    """``(direct, effective)`` counts of the members whose name or e-mail contains ``query``.

    Scans all users (two LIKEs each) when the subtree's memberships are many, otherwise looks
    up the users of those memberships. While scanning, SQLite checks a user matching the search
    against the set of members below when gathering it costs less than the scan itself.
    """
    rows = tree.direct_count + tree.below_rows
    dialect = session.get_bind().dialect.name
    statement = _matching_counts_statement(
        dialect,
        scan_users=rows * _SORT > users * _SEARCH_SCAN,
        has_below=tree.has_below,
        # PostgreSQL turns "direct or in the set" into hashing every direct member: slower.
        by_set=dialect == "sqlite" and tree.below_rows * _GATHER_SET <= users * _SEARCH_SCAN,
    )
    result = await session.execute(
        statement, {SUBTREE_ROOT: tree.group_id, "pattern": f"%{escape_like(query)}%"}
    )
    effective, direct = result.one()
    return int(direct), int(effective)


# --- the page ------------------------------------------------------------------------------


@cache
def _page_statement(
    dialect: str,
    kind: _Kind,
    plan: _Plan,
    *,
    backward: bool,
    searching: bool,
    fields: tuple[str, ...],
) -> Select[Any]:
    """The page's statement for this shape, bound to ``subtree_root``, ``pattern``, ``skip``
    and ``take``: the page is found on ``(id, name)`` alone (the walk reads only the name
    index, a sort sorts narrow rows), then the users' ``fields`` are read, in order."""
    statement = select(User.id, User.name)
    name: ColumnElement[Any] = User.name.expression
    user_id: ColumnElement[Any] = User.id.expression
    if plan == "walk":
        if kind == "direct":
            statement = statement.where(_is_direct())
        elif kind == "effective":
            statement = statement.where(_in_tree(below_only=False))
        else:
            statement = statement.where(~_is_direct(), _in_tree(below_only=True))
    elif plan == "walk_by_set":
        if kind == "effective":
            statement = statement.where(or_(_is_direct(), _below_set()))
        else:
            statement = statement.where(~_is_direct(), _below_set())
    else:
        name, user_id = unindexed(User.name), unindexed(User.id)
        if kind == "direct":
            statement = statement.join(GroupMember, GroupMember.user_id == User.id).where(
                GroupMember.group_id == _ROOT
            )
        else:
            members = select(GroupMember.user_id).where(
                GroupMember.group_id.in_(_tree_ids(below_only=kind == "inherited"))
            )
            statement = statement.where(User.id.in_(members))
            if kind == "inherited":
                statement = statement.where(~_is_direct())
    if searching:
        statement = statement.where(_search(dialect))
    order = (name.desc(), user_id.desc()) if backward else (name, user_id)
    page = (
        statement.order_by(*order)
        .offset(bindparam("skip", type_=Integer()))
        .limit(bindparam("take", type_=Integer()))
        .subquery("page")
    )
    shown = [getattr(User, field) for field in fields]
    return select(*shown).join(page, page.c.id == User.id).order_by(page.c.name, page.c.id)


def _plan(tree: Subtree, kind: _Kind, *, skip: int, take: int, total: int, users: int) -> _Plan:
    """The cheapest of: stepping through users until the page is full, checking each one way or
    the other, and gathering and sorting every candidate."""
    walked = (skip + take) * max(users, total) / total
    gathered = {
        "direct": tree.direct_count,
        "effective": tree.direct_count + tree.below_rows,
        "inherited": tree.below_rows,
    }[kind]
    costs: dict[_Plan, float] = {"sort": gathered * _SORT}
    if kind == "direct":
        costs["walk"] = walked * _WALK_DIRECT
    else:
        costs["walk"] = walked * _WALK_TREE
        costs["walk_by_set"] = tree.below_rows * _GATHER_SET + walked * _WALK_SET
    return min(costs, key=lambda plan: costs[plan])


async def member_page(
    session: AsyncSession,
    tree: Subtree,
    *,
    membership: MembershipFilter,
    query: str | None,
    total: int,
    limit: int,
    offset: int,
    fields: tuple[str, ...],
) -> list[Row[Any]]:
    """Users ``offset`` to ``offset + limit`` of the ``membership`` members (matching
    ``query``), by name then id, as rows of their ``fields`` (columns of ``user``; plain rows
    cost a fraction of ORM objects). ``total`` must be how many such members there are: it
    decides the plan and the direction of a walk."""
    if offset >= total or limit <= 0:
        return []
    take = min(limit, total - offset)
    # Read from whichever end of the order is nearer to the page.
    backward = offset > total - offset - take
    skip = total - offset - take if backward else offset
    kind = _kind(tree, membership)
    users = await user_count(session)
    statement = _page_statement(
        session.get_bind().dialect.name,
        kind,
        _plan(tree, kind, skip=skip, take=take, total=total, users=users),
        backward=backward,
        searching=bool(query),
        fields=fields,
    )
    params: dict[str, Any] = {SUBTREE_ROOT: tree.group_id, "skip": skip, "take": take}
    if query:
        params["pattern"] = f"%{escape_like(query)}%"
    return list(await session.execute(statement, params))
