"""The members page's cost model, as tables: which plan each shape of group gets, how counts are
taken, and that ``CostModel.favouring`` makes a plan win wherever it applies."""

from __future__ import annotations

import pytest

from opengroups.memberships.members_page.costs import (
    CostModel,
    Kind,
    Plan,
    Subtree,
    count_inherited_by_users,
    kind_of,
    page_plan,
    search_counting,
)

COSTS = CostModel()
USERS = 100_000


def tree(direct: int, below: int) -> Subtree:
    return Subtree(
        group_id="g", direct_count=direct, below_rows=below, has_below=below > 0, signature="s"
    )


@pytest.mark.parametrize(
    ("label", "subtree", "kind", "skip", "total", "expected"),
    [
        # Half of all users are direct members: step through the name index.
        ("huge group, first page", tree(50_000, 0), "direct", 0, 50_000, "walk"),
        # Twenty members: gather and sort them rather than walk 100,000 users.
        ("small group", tree(20, 0), "direct", 0, 20, "sort"),
        ("small tree, inherited", tree(5, 10), "inherited", 0, 8, "sort"),
        # A long walk in a modest subtree: walk against a set of the members below.
        ("modest subtree", tree(1_000, 2_000), "effective", 0, 2_500, "walk_by_set"),
        # The members below are many: gathering the set costs more than probing each user.
        ("huge tree, first page", tree(50_000, 50_000), "effective", 0, 90_000, "walk"),
        # Far into the group the walk is long, yet shorter than sorting 50,000 members.
        ("huge group, deep page", tree(50_000, 0), "direct", 20_000, 50_000, "walk"),
        # A few thousand members far from both ends: sorting them is cheaper.
        ("mid-size group, deep page", tree(3_000, 0), "direct", 1_400, 3_000, "sort"),
    ],
)
def test_the_cheapest_plan_is_chosen(
    label: str, subtree: Subtree, kind: Kind, skip: int, total: int, expected: Plan
) -> None:
    plan = page_plan(COSTS, subtree, kind, skip=skip, take=100, total=total, users=USERS)
    assert plan == expected, label


def test_direct_members_are_never_read_against_a_set() -> None:
    for direct in (1, 100, 10_000, 90_000):
        plan = page_plan(
            COSTS, tree(direct, 0), "direct", skip=0, take=100, total=direct, users=USERS
        )
        assert plan != "walk_by_set"


@pytest.mark.parametrize(
    ("subtree", "membership", "expected"),
    [
        (tree(10, 0), "effective", "direct"),
        (tree(10, 0), "inherited", "direct"),
        (tree(10, 5), "inherited", "inherited"),
        (tree(10, 5), "effective", "effective"),
    ],
)
def test_a_group_with_nothing_below_has_only_direct_members(
    subtree: Subtree, membership: Kind, expected: Kind
) -> None:
    assert kind_of(subtree, membership) == expected


@pytest.mark.parametrize(
    ("below", "by_users"),
    [(250_000, True), (133_334, True), (133_333, False), (10_000, False)],
)
def test_inherited_members_are_counted_by_users_when_the_memberships_below_are_many(
    below: int, by_users: bool
) -> None:
    # Going through 100,000 users (4 each) beats gathering the memberships below (3 each) once
    # there are more than about 133,000 of them.
    assert count_inherited_by_users(COSTS, tree(10, below), users=USERS) is by_users


@pytest.mark.parametrize(
    ("direct", "below", "dialect", "scan_users", "by_set"),
    [
        (50_000, 60_000, "sqlite", True, False),  # scan; the set below is too large
        (50_000, 10_000, "sqlite", True, True),  # scan, checking matches against the set
        (50_000, 10_000, "postgresql", True, False),  # PostgreSQL never uses the set
        (50, 50, "sqlite", False, True),  # look up the few members' users instead
    ],
)
def test_how_matching_members_are_counted(
    direct: int, below: int, dialect: str, scan_users: bool, by_set: bool
) -> None:
    counting = search_counting(COSTS, tree(direct, below), users=USERS, dialect=dialect)
    assert (counting.scan_users, counting.by_set) == (scan_users, by_set)


SHAPES: list[tuple[Subtree, Kind, int]] = [
    (tree(50_000, 0), "direct", 50_000),
    (tree(20, 0), "direct", 20),
    (tree(1_000, 2_000), "effective", 2_500),
    (tree(5, 10), "inherited", 8),
    (tree(50_000, 50_000), "effective", 90_000),
]


@pytest.mark.parametrize("plan", ["walk", "walk_by_set", "sort"])
def test_a_favoured_plan_wins_wherever_it_applies(plan: Plan) -> None:
    favoured = CostModel.favouring(plan)
    for subtree, kind, total in SHAPES:
        chosen = page_plan(favoured, subtree, kind, skip=0, take=100, total=total, users=USERS)
        applies = plan != "walk_by_set" or kind != "direct"
        assert chosen == plan if applies else chosen == "walk", (plan, subtree, kind)
