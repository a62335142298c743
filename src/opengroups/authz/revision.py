"""SQL for the authorization revision counter (table ``authz_state``, one row)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.db import before_commit
from opengroups.models import AuthzState

_ROW = 1


async def current_revision(session: AsyncSession) -> int:
    result = await session.execute(select(AuthzState.revision).where(AuthzState.id == _ROW))
    return int(result.scalar_one())


async def bump_revision(session: AsyncSession) -> None:
    """Mark every cached effective permission as stale once this transaction commits.

    The counter row is written just before the commit (``db.before_commit``), so it is locked
    only for the commit itself and after every other lock the transaction takes.
    """
    before_commit(session, _write_revision, order=BUMP_ORDER)


BUMP_ORDER = 20


async def _write_revision(session: AsyncSession) -> None:
    await session.execute(
        update(AuthzState).where(AuthzState.id == _ROW).values(revision=AuthzState.revision + 1)
    )
