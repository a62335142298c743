"""Recording a change: the one point every service calls when it changes something.

``record`` adds an audit event to the transaction (``kit.context``); just before the commit the
events are written, after the process takes a database-wide lock (PostgreSQL advisory lock;
SQLite writers are serialized anyway). Event ids therefore grow in commit order: a reader that
saw event *n* will never later see a new event below *n*, which is what lets the change feed use
the id as its cursor.

The same events say whom the change affects, and that is what the caches are told
(``caching.revision.bump``): the users an event names as affected and the user an event is
about have their cached entries dropped, in every process; an event that affects all users
drops everyone's (a created user has nothing cached yet). Nothing else invalidates a cache.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.caching import revision as revisions
from opengroups.caching.revision import Invalidation
from opengroups.kit.context import Actor, context_of
from opengroups.kit.locks import Lock, hold
from opengroups.models import AuditEvent

FLUSH_ORDER = 10

# An event about a user changes what authentication returns for them, except their creation:
# a user who did not exist has nothing cached.
_USER_RESOURCE = "user"
_USER_CREATED = "user.create"


def set_actor(session: AsyncSession, **fields: str | None) -> None:
    """Say who acts in this session (fields not given are kept)."""
    context_of(session).act_as(**fields)


def actor_of(session: AsyncSession) -> Actor:
    return context_of(session).actor


def record(
    session: AsyncSession,
    *,
    action: str,
    resource_type: str,
    resource_id: str,
    before: Any = None,
    after: Any = None,
    affected_user_ids: Iterable[str] | None = None,
    affects_all_users: bool = False,
    actor_id: str | None = None,
) -> None:
    """Add an event to this transaction. It is written only if the transaction commits (and
    dropped if a savepoint around it rolls back).

    ``affected_user_ids``: users whose groups or effective permissions this change may alter
    (their cached permissions are dropped); ``affects_all_users`` for a change to everyone's.
    """
    context = context_of(session)
    affected = sorted(set(affected_user_ids)) if affected_user_ids else None
    context.events.append(
        {
            "occurred_at": int(time.time() * 1000),
            "actor_id": actor_id or context.actor.user_id,
            "actor_address": context.actor.address,
            "request_id": context.actor.request_id,
            "action": action,
            "resource_type": resource_type,
            "resource_id": resource_id,
            "before": before,
            "after": after,
            "affected_user_ids": affected,
            "affects_all_users": affects_all_users,
        }
    )
    context.before_commit(_flush, order=FLUSH_ORDER)


def invalidation_of(events: Iterable[dict[str, Any]]) -> Invalidation:
    """Whose cached entries these events make stale."""
    users: set[str] = set()
    for event in events:
        if event["affects_all_users"]:
            return revisions.EVERYONE
        users.update(event["affected_user_ids"] or ())
        if event["resource_type"] == _USER_RESOURCE and event["action"] != _USER_CREATED:
            users.add(event["resource_id"])
    return Invalidation.of(users)


async def _flush(session: AsyncSession) -> None:
    context = context_of(session)
    events, context.events = context.events, []
    if not events:
        return
    await hold(session, Lock.AUDIT)
    await session.execute(insert(AuditEvent), events)
    invalidation = invalidation_of(events)
    if invalidation:
        await revisions.bump(session, invalidation)
