"""The members page's SQL, one statement per shape, each bound to the group by
``SUBTREE.param`` and, as needed, ``pattern``, ``skip``, ``take`` and ``user_ids``.

A shape is what the cost model chose (``costs``); the statement for it is built on first use
and kept in the process's ``Caches.statements``, so building and compiling it costs nothing per
request. SQLite keeps no statistics, so the statements are shaped to leave it no choice of
index (``kit.planner_hints.unindexed``); PostgreSQL plans both shapes itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import BindParameter

from opengroups.caching import Caches
from opengroups.groups.hierarchy import SUBTREE
from opengroups.kit.planner_hints import unindexed
from opengroups.memberships.members_page.costs import Kind, Plan, SearchCounting
from opengroups.models import GroupMember, GroupMemberSource, User

S = TypeVar("S")

ROOT = SUBTREE.param
PATTERN = bindparam("pattern", type_=String())
PAGE_USERS: BindParameter[Any] = bindparam("user_ids", expanding=True)


def built(caches: Caches, shape: tuple[Any, ...], build: Callable[[], S]) -> S:
    """The statement for ``shape``, built once per process."""
    statement = caches.statements.get(shape)
    if statement is None:
        statement = caches.statements[shape] = build()
    return statement


# --- building blocks ------------------------------------------------------------------------


def _is_direct() -> ColumnElement[bool]:
    """The current ``user`` row is a direct member of the group (one primary-key probe)."""
    own = aliased(GroupMember)
    # EXISTS (SELECT <an indexed column>): with SELECT *, SQLite 3.40 reads each table row.
    return exists(own.user_id).where(own.group_id == ROOT, own.user_id == User.id)


def _tree_ids(*, below_only: bool) -> Select[Any]:
    ids = SUBTREE.ids
    return ids.where(SUBTREE.cte.c.id != ROOT) if below_only else ids


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
    plain ``LIKE`` means the same as ``ILIKE`` for less. On PostgreSQL, ``ILIKE`` on a
    multibyte database is ``lower(text) LIKE lower(pattern)``; written out, the pattern is
    lowered once per query instead of once per row.
    """
    if dialect == "sqlite":
        return or_(User.name.like(PATTERN, escape="\\"), User.email.like(PATTERN, escape="\\"))
    pattern = func.lower(PATTERN)
    return or_(
        func.lower(User.name).like(pattern, escape="\\"),
        func.lower(User.email).like(pattern, escape="\\"),
    )


# --- how many users there are (planning only) -----------------------------------------------

# SQLite: the largest rowid, one b-tree descent. PostgreSQL: the planner's own estimate, or a
# count when the table was never analysed.
SQLITE_USER_ESTIMATE: Select[Any] = select(
    func.coalesce(func.max(literal_column("rowid")), 0)
).select_from(User)
PG_USER_ESTIMATE = text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('\"user\"')")
USER_COUNT = select(func.count()).select_from(User)

# Plan this transaction's statements for their actual values (PostgreSQL).
CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


# --- counts ---------------------------------------------------------------------------------


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
        .where(~exists(own.user_id).where(own.group_id == ROOT, own.user_id == below.c.user_id))
    )


def below_only(*, by_users: bool) -> Select[Any]:
    """Users who are direct members of a group below the group but not of the group itself,
    counted from the memberships below, or by going through every user once (``by_users``)."""
    if by_users:
        return (
            select(func.count()).select_from(User).where(~_is_direct(), _in_tree(below_only=True))
        )
    return _below_only_members()


def matching_counts(dialect: str, counting: SearchCounting, *, has_below: bool) -> Select[int, int]:
    """``(effective, direct)`` counts of the members matching ``pattern``."""
    search = _search(dialect)
    if counting.scan_users:
        if not has_below:
            return select(func.count(), func.count()).select_from(User).where(search, _is_direct())
        member = or_(_is_direct(), _below_set()) if counting.by_set else _in_tree(below_only=False)
        return (
            select(func.count(), func.count(case((_is_direct(), 1))))
            .select_from(User)
            .where(search, member)
        )
    return (
        select(
            func.count(User.id.distinct()),
            func.count(case((GroupMember.group_id == ROOT, User.id)).distinct()),
        )
        .select_from(GroupMember)
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id.in_(_tree_ids(below_only=False)), search)
    )


# --- the page -------------------------------------------------------------------------------


def page(
    dialect: str,
    kind: Kind,
    plan: Plan,
    *,
    backward: bool,
    searching: bool,
    fields: tuple[str, ...],
) -> Select[Any]:
    """A page for this shape, bound to ``pattern``, ``skip`` and ``take`` too: the page is
    found on ``(id, name)`` alone (the walk reads only the name index, a sort sorts narrow
    rows), then the users' ``fields`` are read, in order."""
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
                GroupMember.group_id == ROOT
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
    found = (
        statement.order_by(*order)
        .offset(bindparam("skip", type_=Integer()))
        .limit(bindparam("take", type_=Integer()))
        .subquery("page")
    )
    shown = [getattr(User, field) for field in fields]
    return select(*shown).join(found, found.c.id == User.id).order_by(found.c.name, found.c.id)


# A page's details in one statement: for each user, the groups below the group that make them
# a member ("via"), whether they are a direct member ("direct"), and what holds a direct
# membership ("source"; only direct members have sources). Each user's own memberships (a few)
# are checked against the subtree: letting SQLite seek the (group, user) key for every group of
# the subtree times every user is far slower (``docs/performance.md``).
_VIA_ROWS = select(
    literal("via").label("kind"),
    GroupMember.user_id.label("user_id"),
    GroupMember.group_id.label("value"),
).where(
    GroupMember.user_id.in_(PAGE_USERS),
    unindexed(GroupMember.group_id).in_(_tree_ids(below_only=True)),
)
_DIRECT_ROWS = select(
    literal("direct").label("kind"),
    GroupMember.user_id.label("user_id"),
    GroupMember.group_id.label("value"),
).where(GroupMember.group_id == ROOT, GroupMember.user_id.in_(PAGE_USERS))
_SOURCE_ROWS = select(
    literal("source").label("kind"),
    GroupMemberSource.user_id.label("user_id"),
    GroupMemberSource.source.label("value"),
).where(GroupMemberSource.group_id == ROOT, GroupMemberSource.user_id.in_(PAGE_USERS))
DETAILS = {
    (via, direct): union_all(
        *([_VIA_ROWS] if via else []), *([_DIRECT_ROWS] if direct else []), _SOURCE_ROWS
    ).order_by("kind", "user_id", "value")
    for via in (False, True)
    for direct in (False, True)
}
