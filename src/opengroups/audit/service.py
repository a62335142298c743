"""Reading the audit trail, following the change feed, and pruning old events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import repository
from opengroups.audit.schemas import AuditEventResponse, AuditPage, ChangeFeedResponse
from opengroups.errors import OpenGroupsError
from opengroups.kit.db import Database
from opengroups.models import AuditEvent

FEED_POLL_SECONDS = 0.25


class CursorExpired(OpenGroupsError):
    status_code = 410

    def __init__(self, cursor: int, oldest: int) -> None:
        super().__init__(
            f"Cursor {cursor} is older than the retained changes (oldest: {oldest}); "
            "rebuild from the current state and continue from the newest cursor."
        )


async def list_events(
    session: AsyncSession,
    *,
    actor_id: str | None = None,
    action: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> AuditPage:
    """Events newest first, filtered; ``cursor`` continues after the previous page."""
    conditions = []
    if actor_id is not None:
        conditions.append(AuditEvent.actor_id == actor_id)
    if action is not None:
        conditions.append(AuditEvent.action == action)
    if resource_type is not None:
        conditions.append(AuditEvent.resource_type == resource_type)
    if resource_id is not None:
        conditions.append(AuditEvent.resource_id == resource_id)
    if since_ms is not None:
        conditions.append(AuditEvent.occurred_at >= since_ms)
    if until_ms is not None:
        conditions.append(AuditEvent.occurred_at < until_ms)
    events = await repository.list_events(
        session, conditions=conditions, before_id=cursor, limit=limit + 1
    )
    more = len(events) > limit
    events = events[:limit]
    return AuditPage(
        items=[AuditEventResponse.model_validate(event) for event in events],
        next_cursor=events[-1].id if more and events else None,
    )


async def changes_after(
    database: Database, *, cursor: int, limit: int, wait_seconds: float
) -> ChangeFeedResponse:
    """The changes after ``cursor`` in commit order, waiting up to ``wait_seconds`` for one.

    Raises ``CursorExpired`` (410) when events after the cursor were already pruned.
    """
    deadline = time.monotonic() + wait_seconds
    while True:
        async with database.session(write=False) as session:
            oldest = await repository.oldest_id(session)
            if cursor > 0 and oldest is not None and cursor < oldest - 1:
                raise CursorExpired(cursor, oldest)
            events = await repository.events_after(session, cursor=cursor, limit=limit)
        if events or time.monotonic() >= deadline:
            return ChangeFeedResponse(
                changes=[AuditEventResponse.model_validate(event) for event in events],
                cursor=events[-1].id if events else cursor,
            )
        await asyncio.sleep(FEED_POLL_SECONDS)


async def latest_change(session: AsyncSession, *, ignoring: Iterable[str]) -> int:
    """The change feed's cursor after its newest change not about one of the resource types
    ``ignoring``; 0 when there is none."""
    return await repository.latest_id_except(session, ignoring)


async def prune(session: AsyncSession, *, retention_days: int) -> int:
    """Delete events older than the retention (0 keeps everything)."""
    if retention_days <= 0:
        return 0
    limit = int((time.time() - retention_days * 86400) * 1000)
    return await repository.prune(session, older_than_ms=limit)
