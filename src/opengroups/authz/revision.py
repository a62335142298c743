"""SQL for the authorization revision counter (table ``authz_state``, one row)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.models import AuthzState

_ROW = 1


async def current_revision(session: AsyncSession) -> int:
    result = await session.execute(select(AuthzState.revision).where(AuthzState.id == _ROW))
    return int(result.scalar_one())


async def bump_revision(session: AsyncSession) -> None:
    """Mark every cached effective permission as stale once this transaction commits."""
    await session.execute(
        update(AuthzState).where(AuthzState.id == _ROW).values(revision=AuthzState.revision + 1)
    )
