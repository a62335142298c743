"""The group tree: who is above and below whom, in SQL and in Python.

Each group has at most one parent. Effective membership flows upward: a direct member of a
group is an effective member of every ancestor. Everything that walks the tree goes through this
module: groups (moves, depth checks, visibility), memberships (members pages), grants (a user's
groups), the admin page (the tree) and export and import (parents first).

The recursive statements use ``UNION`` over ids alone, never ``UNION ALL``: a cycle written
outside the API makes the recursion stop instead of running forever. The ones run on every
request (a subtree, a member's groups) are built once, with a bound parameter, and passed
around as ``TreeQuery`` objects: building them cost more than running them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    CTE,
    BindParameter,
    Select,
    String,
    bindparam,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from opengroups.models import Group, GroupMember

N = TypeVar("N", bound=Hashable)


@dataclass(frozen=True)
class TreeQuery:
    """A prebuilt recursive set of group ids, the parameter it is bound by, and ``SELECT id``
    of it (to use in ``IN (...)``), built once with it."""

    cte: CTE
    param: BindParameter[str]
    ids: Select[Any]

    @classmethod
    def of(cls, cte: CTE, param: BindParameter[str]) -> TreeQuery:
        return cls(cte, param, select(cte.c.id))

    def bind(self, value: str) -> dict[str, str]:
        """The parameters that make the set the one of ``value``."""
        return {self.param.key: value}


def _subtree() -> TreeQuery:
    root = bindparam("subtree_root", type_=String())
    tree = select(Group.id).where(Group.id == root).cte("subtree", recursive=True)
    child = aliased(Group)
    return TreeQuery.of(
        tree.union(select(child.id).join(tree, child.parent_group_id == tree.c.id)), root
    )


def _member_groups() -> TreeQuery:
    member = bindparam("member_id", type_=String())
    groups = (
        select(GroupMember.group_id.label("id"))
        .where(GroupMember.user_id == member)
        .cte("member_groups", recursive=True)
    )
    parent = aliased(Group)
    return TreeQuery.of(
        groups.union(
            select(parent.parent_group_id)
            .join(groups, parent.id == groups.c.id)
            .where(parent.parent_group_id.is_not(None))
        ),
        member,
    )


# The group bound as its root (when it exists) and every group below it.
SUBTREE = _subtree()
# The groups of the bound user: their direct groups and every ancestor of those.
MEMBER_GROUPS = _member_groups()


def _levels(group_id: str, *, upward: bool) -> CTE:
    """``(id, level)``: the group (level 0) and every group above (``upward``) or below it."""
    start = (
        select(Group.id, Group.parent_group_id, literal(0).label("level"))
        .where(Group.id == group_id)
        .cte("levels", recursive=True)
    )
    step = aliased(Group)
    joined = step.id == start.c.parent_group_id if upward else step.parent_group_id == start.c.id
    return start.union(
        select(step.id, step.parent_group_id, (start.c.level + 1).label("level")).join(
            start, joined
        )
    )


async def ancestor_ids(session: AsyncSession, group_id: str) -> list[str]:
    """``group_id`` and its ancestors, nearest first."""
    chain = _levels(group_id, upward=True)
    result = await session.execute(
        select(chain.c.id).group_by(chain.c.id).order_by(func.min(chain.c.level))
    )
    return list(result.scalars())


async def descendant_levels(session: AsyncSession, group_id: str) -> dict[str, int]:
    """Every group in the subtree of ``group_id`` (itself included) with its distance from it."""
    tree = _levels(group_id, upward=False)
    result = await session.execute(select(tree.c.id, func.min(tree.c.level)).group_by(tree.c.id))
    return {row[0]: row[1] for row in result}


_SUBTREE_ROWS = select(
    Group.id, Group.parent_group_id, Group.member_count, Group.members_version
).where(Group.id.in_(SUBTREE.ids))


async def subtree_rows(
    session: AsyncSession, group_id: str
) -> list[tuple[str, str | None, int, int]]:
    """``(id, parent_group_id, member_count, members_version)`` of the group and of every group
    below it; empty when the group does not exist."""
    result = await session.execute(_SUBTREE_ROWS, SUBTREE.bind(group_id))
    return [(gid, parent, int(count), int(version)) for gid, parent, count, version in result]


async def member_group_ids(session: AsyncSession, user_id: str) -> set[str]:
    """The groups the user is an effective member of."""
    result = await session.execute(MEMBER_GROUPS.ids, MEMBER_GROUPS.bind(user_id))
    return {row for row in result.scalars() if row is not None}


_EFFECTIVE_MEMBER_IDS = (
    select(GroupMember.user_id)
    .where(GroupMember.group_id.in_(SUBTREE.ids))
    .distinct()
    .order_by(GroupMember.user_id)
)


async def effective_member_ids(session: AsyncSession, group_id: str) -> list[str]:
    """Direct members of the group and of every group below it, sorted."""
    result = await session.execute(_EFFECTIVE_MEMBER_IDS, SUBTREE.bind(group_id))
    return list(result.scalars())


# --- the whole tree, in order ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A group's place in the whole tree, as the admin page lists it."""

    id: str
    name: str
    parent_group_id: str | None
    member_count: int
    depth: int
    has_children: bool


_OUTLINE = select(Group.id, Group.name, Group.parent_group_id, Group.member_count).order_by(
    Group.name_key, Group.id
)


async def tree(session: AsyncSession) -> list[TreeNode]:
    """Every group reachable from a top-level group, depth-first with siblings by name: one
    query for the outline, then a walk in Python (a recursive statement sorting the same rows by
    their paths was slower, ``docs/performance.md``). Groups in a cycle written outside the API
    are reached from no top-level group, so they are not listed."""
    rows = list(await session.execute(_OUTLINE))
    ids = {row[0] for row in rows}
    children: dict[str | None, list[Any]] = defaultdict(list)
    for row in rows:
        children[row[2] if row[2] in ids else None].append(row)
    ordered: list[TreeNode] = []
    stack = [(row, 0) for row in reversed(children[None])]
    while stack:
        (group_id, name, parent, count), depth = stack.pop()
        below = children.get(group_id, ())
        ordered.append(TreeNode(group_id, name, parent, int(count), depth, bool(below)))
        stack += [(child, depth + 1) for child in reversed(below)]
    return ordered


def without_subtree(nodes: Sequence[TreeNode], group_id: str) -> list[TreeNode]:
    """``nodes`` (in tree order) less the group and every group below it."""
    kept: list[TreeNode] = []
    skipping: int | None = None  # the depth of the group whose subtree is being skipped
    for node in nodes:
        if skipping is not None and node.depth > skipping:
            continue
        skipping = node.depth if node.id == group_id else None
        if skipping is None:
            kept.append(node)
    return kept


# --- in Python ------------------------------------------------------------------------------


class CycleError(ValueError):
    """The parents given make a cycle; ``trail`` lists it, the repeated node last."""

    def __init__(self, trail: Sequence[Hashable]) -> None:
        super().__init__(" -> ".join(str(node) for node in trail))
        self.trail = list(trail)


def depths(nodes: Iterable[N], parent_of: Mapping[N, N | None]) -> dict[N, int]:
    """The level of each node (a node without a parent is level 1), following ``parent_of``
    for every ancestor. Raises ``CycleError``."""
    found: dict[N, int] = {}

    def depth_of(node: N, trail: tuple[N, ...]) -> int:
        if node in found:
            return found[node]
        if node in trail:
            raise CycleError((*trail, node))
        parent = parent_of.get(node)
        value = 1 if parent is None else depth_of(parent, (*trail, node)) + 1
        found[node] = value
        return value

    for node in nodes:
        depth_of(node, ())
    return found


def parents_first(items: Sequence[Any], *, key: Callable[[Any], Any]) -> list[Any]:
    """``items`` (with ``id`` and ``parent_group_id``) level by level from the top, each level
    ordered by ``key``; an item whose parent is not among them counts as top-level."""
    ids = {item.id for item in items}
    children: dict[Any, list[Any]] = defaultdict(list)
    for item in items:
        children[item.parent_group_id if item.parent_group_id in ids else None].append(item)
    ordered: list[Any] = []
    level = sorted(children[None], key=key)
    while level:
        ordered += level
        level = sorted((child for item in level for child in children[item.id]), key=key)
    return ordered
