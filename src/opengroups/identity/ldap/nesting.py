"""Nested groups, flattened: a group that is a member of a group gives its members to the outer
group. Pure code over DNs, so that the rule can be tested on its own and shared by the full sync
and the sign-in sync."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping


def effective_members(
    members: Mapping[str, Collection[str]], users: Collection[str], *, depth: int
) -> dict[str, set[str]]:
    """For each group of ``members`` (group DN to the DNs of its direct members, users and
    groups), the users among ``users`` that are members directly or through groups nested at
    most ``depth`` levels below it. A cycle ends where it meets a group already counted; a
    member DN that is neither a known user nor a known group is ignored."""
    user_set = set(users)
    return {
        group: {
            member
            for inner in reachable(group, members, depth=depth)
            for member in members[inner]
            if member in user_set
        }
        for group in members
    }


def reachable(start: str, members: Mapping[str, Collection[str]], *, depth: int) -> set[str]:
    """``start`` and the groups nested in it at most ``depth`` levels below (breadth first, so
    each group is counted at its shortest distance and a cycle stops)."""
    return _walk({start}, lambda group: (m for m in members.get(group, ()) if m in members), depth)


def containing(
    start: Collection[str], parents: Mapping[str, Collection[str]], *, depth: int
) -> set[str]:
    """The groups ``start`` (a user's direct groups) and the groups that contain them, at most
    ``depth`` levels up; ``parents`` maps a group to the groups it is a direct member of."""
    return _walk(set(start), lambda group: parents.get(group, ()), depth)


def _walk(start: set[str], step: Callable[[str], Iterable[str]], depth: int) -> set[str]:
    seen = set(start)
    frontier = set(start)
    for _level in range(depth):
        frontier = {found for group in frontier for found in step(group)} - seen
        if not frontier:
            break
        seen |= frontier
    return seen
