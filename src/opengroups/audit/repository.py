"""The only place with SQL for audit events."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.models import AuditEvent


async def list_events(
    session: AsyncSession,
    *,
    conditions: list[ColumnElement[bool]],
    before_id: int | None,
    limit: int,
) -> list[AuditEvent]:
    """Newest first, below ``before_id`` when given."""
    statement = select(AuditEvent).where(*conditions)
    if before_id is not None:
        statement = statement.where(AuditEvent.id < before_id)
    result = await session.execute(statement.order_by(AuditEvent.id.desc()).limit(limit))
    return list(result.scalars())


async def events_after(session: AsyncSession, *, cursor: int, limit: int) -> list[AuditEvent]:
    """Oldest first, above ``cursor``."""
    result = await session.execute(
        select(AuditEvent).where(AuditEvent.id > cursor).order_by(AuditEvent.id).limit(limit)
    )
    return list(result.scalars())


async def latest_id_except(session: AsyncSession, resource_types: Iterable[str]) -> int:
    """The newest event's id among those not about ``resource_types``; 0 when there is none.
    Read backwards along the primary key: the newest events are almost always of interest."""
    statement = (
        select(AuditEvent.id)
        .where(AuditEvent.resource_type.not_in(list(resource_types)))
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none() or 0


async def oldest_id(session: AsyncSession) -> int | None:
    return (await session.execute(select(func.min(AuditEvent.id)))).scalar_one_or_none()


async def prune(session: AsyncSession, *, older_than_ms: int) -> int:
    """Delete events older than the limit, always keeping the newest one (so the feed can tell
    a cursor that fell behind the retention window). Returns how many were deleted."""
    newest = (await session.execute(select(func.max(AuditEvent.id)))).scalar_one_or_none()
    if newest is None:
        return 0
    result = await session.execute(
        delete(AuditEvent).where(AuditEvent.occurred_at < older_than_ms, AuditEvent.id < newest)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
