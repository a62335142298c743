"""``POST /.search`` at the SCIM root (RFC 7644 §3.4.3): users and groups in one listing.

Users come first, then groups, each in its own order; ``startIndex`` and ``count`` cut the
listing as a whole. A filter naming an attribute only one of the types has matches nothing of
the other (§3.4.2.1); one neither type can read is refused.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opengroups.scim import groups, users
from opengroups.scim.calls import Call, Query
from opengroups.scim.filters import FilterRefused, group_filter, user_filter


def _readable(filter_text: str | None) -> tuple[bool, bool]:
    """Which types the filter can be read for; raises the users' refusal when neither."""
    if filter_text is None:
        return True, True
    refusals: list[FilterRefused] = []
    readable = []
    for translate in (user_filter, group_filter):
        try:
            translate(filter_text)
            readable.append(True)
        except FilterRefused as exc:
            refusals.append(exc)
            readable.append(False)
    if not any(readable):
        raise refusals[0]
    return readable[0], readable[1]


async def search_all(call: Call, query: Query) -> tuple[int, list[dict[str, Any]]]:
    for_users, for_groups = _readable(query.filter_text)
    total = 0
    found: list[dict[str, Any]] = []
    start = query.start_index
    for readable, kind in ((for_users, users.KIND), (for_groups, groups.KIND)):
        if not readable:
            continue
        page = replace(query, start_index=max(1, start), count=max(0, query.count - len(found)))
        matched, resources = await kind.listing(call, page)
        total += matched
        found += resources
        start -= matched
    return total, found
