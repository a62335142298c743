"""Reading a group's members page: its subtree, its counts and one page of users, each the way
the cost model says is cheapest (``costs``), with the statements of ``statements``."""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.caching import Caches
from opengroups.groups import hierarchy
from opengroups.groups.hierarchy import SUBTREE
from opengroups.kit.context import context_of
from opengroups.kit.sql import escape_like
from opengroups.memberships.members_page import costs as model
from opengroups.memberships.members_page import statements
from opengroups.memberships.members_page.costs import CostModel, Kind, Plan, Subtree

# How long a count of the users steers plans before it is read again.
USER_COUNT_SECONDS = 60.0
_CUSTOM_PLANS = "members_page.custom_plans"


async def subtree(session: AsyncSession, group_id: str) -> Subtree | None:
    """The group's subtree as ``Subtree``, or None when the group does not exist."""
    rows = sorted(await hierarchy.subtree_rows(session, group_id))
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


async def user_count(session: AsyncSession, caches: Caches) -> int:
    """About how many users there are, for planning only: read at most once a minute."""
    now = time.monotonic()
    if caches.user_count is not None and now - caches.user_count[0] < USER_COUNT_SECONDS:
        return caches.user_count[1]
    count: int | None = None
    if session.get_bind().dialect.name == "postgresql":
        estimate = (await session.execute(statements.PG_USER_ESTIMATE)).scalar()
        if estimate is not None and estimate >= 0:
            count = int(estimate)
        else:
            count = int((await session.execute(statements.USER_COUNT)).scalar_one())
    else:
        count = int((await session.execute(statements.SQLITE_USER_ESTIMATE)).scalar_one())
    caches.user_count = (now, max(1, count))
    return max(1, count)


async def use_custom_plans(session: AsyncSession) -> None:
    """On PostgreSQL, plan this transaction's statements for their actual values.

    After five runs of a prepared statement PostgreSQL may switch to a generic plan made for an
    average group and an unknown LIMIT: a walk over the name index becomes a sort of every user
    (``docs/performance.md``). SQLite has no plan cache to fool.
    """
    context = context_of(session)
    if session.get_bind().dialect.name == "postgresql" and _CUSTOM_PLANS not in context.applied:
        await session.execute(statements.CUSTOM_PLANS)
        context.applied.add(_CUSTOM_PLANS)


async def inherited_count(
    session: AsyncSession, caches: Caches, costs: CostModel, tree: Subtree
) -> int:
    """Members through a group below only, from the cache while the subtree still shows the
    signature it was counted under."""
    if not tree.has_below:
        return 0
    cached = caches.inherited_counts.signed(tree.group_id, tree.signature)
    if cached is not None:
        return cached
    users = await user_count(session, caches)
    by_users = model.count_inherited_by_users(costs, tree, users=users)
    statement = statements.built(
        caches, ("below_only", by_users), lambda: statements.below_only(by_users=by_users)
    )
    count = int((await session.execute(statement, SUBTREE.bind(tree.group_id))).scalar_one())
    # Under READ COMMITTED (PostgreSQL) the count may see a newer state than the signature did;
    # keep it only when the subtree still reads the same afterwards.
    again = await subtree(session, tree.group_id)
    if again is not None and again.signature == tree.signature:
        caches.inherited_counts.put(tree.group_id, (tree.signature, count))
    return count


async def counts(
    session: AsyncSession, caches: Caches, costs: CostModel, tree: Subtree, *, query: str | None
) -> dict[str, int]:
    """``{"direct", "effective", "inherited"}`` member counts, of those matching ``query``."""
    if query:
        users = await user_count(session, caches)
        dialect = session.get_bind().dialect.name
        counting = model.search_counting(costs, tree, users=users, dialect=dialect)
        statement = statements.built(
            caches,
            ("matching", dialect, counting, tree.has_below),
            lambda: statements.matching_counts(dialect, counting, has_below=tree.has_below),
        )
        params = {**SUBTREE.bind(tree.group_id), "pattern": f"%{escape_like(query)}%"}
        effective, direct = (await session.execute(statement, params)).one()
        direct, effective = int(direct), int(effective)
    else:
        direct = tree.direct_count
        effective = direct + await inherited_count(session, caches, costs, tree)
    return {"direct": direct, "effective": effective, "inherited": effective - direct}


async def page(
    session: AsyncSession,
    caches: Caches,
    costs: CostModel,
    tree: Subtree,
    *,
    membership: Kind,
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
    kind = model.kind_of(tree, membership)
    users = await user_count(session, caches)
    plan: Plan = model.page_plan(costs, tree, kind, skip=skip, take=take, total=total, users=users)
    dialect = session.get_bind().dialect.name
    searching = bool(query)
    statement = statements.built(
        caches,
        ("page", dialect, kind, plan, backward, searching, fields),
        lambda: statements.page(
            dialect, kind, plan, backward=backward, searching=searching, fields=fields
        ),
    )
    params: dict[str, Any] = {**SUBTREE.bind(tree.group_id), "skip": skip, "take": take}
    if query:
        params["pattern"] = f"%{escape_like(query)}%"
    return list(await session.execute(statement, params))


@dataclass
class PageDetails:
    """What a members page shows besides the users themselves."""

    # For each user, the groups below the group whose direct membership makes them effective.
    via: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # The users who are direct members, when asked for.
    direct: set[str] = field(default_factory=set)
    # For each direct member, what holds the membership.
    sources: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


async def details(
    session: AsyncSession,
    *,
    group_id: str,
    user_ids: Sequence[str],
    with_via: bool,
    with_direct: bool,
) -> PageDetails:
    """``PageDetails`` of these users in the group, in one query, lists sorted. ``via`` is
    looked up only ``with_via`` (the group has groups below), ``direct`` only ``with_direct``."""
    found = PageDetails()
    if not user_ids:
        return found
    result = await session.execute(
        statements.DETAILS[(with_via, with_direct)],
        {**SUBTREE.bind(group_id), "user_ids": list(user_ids)},
    )
    for kind, user_id, value in result:
        if kind == "via":
            found.via[user_id].append(value)
        elif kind == "direct":
            found.direct.add(user_id)
        else:
            found.sources[user_id].append(value)
    return found
