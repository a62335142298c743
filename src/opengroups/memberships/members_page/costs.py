"""The members page's cost model: pure arithmetic over counts known before any page is read.

Every choice the members page makes (how to read a page, how to count inherited members, how
to count the members matching a search) changes what it costs, never what it returns. The costs
are relative, per row, measured on SQLite (``docs/performance.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["direct", "effective", "inherited"]
Plan = Literal["walk", "walk_by_set", "sort"]

# Expensive enough that no sensible count makes the choice it prices.
_NEVER = 1e12


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


@dataclass(frozen=True)
class SearchCounting:
    """How the members matching a search are counted: by going through every user
    (``scan_users``, checking each match against a set of the members below when ``by_set``)
    or by looking up the users of the subtree's memberships."""

    scan_users: bool
    by_set: bool


@dataclass(frozen=True)
class CostModel:
    """Relative costs per row: a step of a walk that probes one index (``walk_direct``), a step
    that scans the user's memberships too (``walk_tree``), a step that probes the group and a
    set (``walk_set``), a membership put into that set (``gather_set``), a member gathered,
    looked up and sorted (``sort``), and matching one user against a search, two LIKEs
    (``search_scan``)."""

    walk_direct: float = 1.0
    walk_tree: float = 4.0
    walk_set: float = 1.2
    gather_set: float = 0.6
    sort: float = 3.0
    search_scan: float = 0.3

    @classmethod
    def favouring(cls, plan: Plan) -> CostModel:
        """A model under which ``plan`` wins wherever it applies (for tests that hold every
        plan to the same results)."""
        model = cls()
        if plan == "walk":
            return replace(model, sort=_NEVER, gather_set=_NEVER)
        if plan == "walk_by_set":
            return replace(model, sort=_NEVER, walk_tree=_NEVER, gather_set=0.0)
        return replace(
            model, walk_direct=_NEVER, walk_tree=_NEVER, walk_set=_NEVER, search_scan=_NEVER
        )


def kind_of(tree: Subtree, membership: Kind) -> Kind:
    """What must be checked: a group with nothing below it has only direct members."""
    return "direct" if not tree.has_below else membership


def page_plan(
    costs: CostModel, tree: Subtree, kind: Kind, *, skip: int, take: int, total: int, users: int
) -> Plan:
    """The cheapest way to read ``take`` members after ``skip`` of ``total``: stepping through
    the users by name until the page is full, checking each one way (``walk``) or against a
    set of the members below (``walk_by_set``), or gathering and sorting every candidate."""
    walked = (skip + take) * max(users, total) / total
    gathered = {
        "direct": tree.direct_count,
        "effective": tree.direct_count + tree.below_rows,
        "inherited": tree.below_rows,
    }[kind]
    estimates: dict[Plan, float] = {"sort": gathered * costs.sort}
    if kind == "direct":
        estimates["walk"] = walked * costs.walk_direct
    else:
        estimates["walk"] = walked * costs.walk_tree
        estimates["walk_by_set"] = tree.below_rows * costs.gather_set + walked * costs.walk_set
    return min(estimates, key=lambda plan: estimates[plan])


def count_inherited_by_users(costs: CostModel, tree: Subtree, *, users: int) -> bool:
    """Whether counting the members below by going through every user once is cheaper than
    gathering the memberships below (when those outnumber the users)."""
    return users * costs.walk_tree < tree.below_rows * costs.sort


def search_counting(costs: CostModel, tree: Subtree, *, users: int, dialect: str) -> SearchCounting:
    """How to count the members matching a search: scan every user when the subtree's
    memberships are many; while scanning, SQLite checks a match against the set of members
    below when gathering it costs less than the scan itself (PostgreSQL turns "direct or in the
    set" into hashing every direct member, which is slower)."""
    rows = tree.direct_count + tree.below_rows
    return SearchCounting(
        scan_users=rows * costs.sort > users * costs.search_scan,
        by_set=dialect == "sqlite"
        and tree.below_rows * costs.gather_set <= users * costs.search_scan,
    )
