"""The only place with SQL for sign-in throttling."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.models import SigninFailure


async def failures_since(session: AsyncSession, key: str, since_ms: int) -> tuple[int, int | None]:
    """How many failures ``key`` has had since ``since_ms``, and the time of the one that must
    leave the window before that count falls by one (the oldest)."""
    result = await session.execute(
        select(func.count(), func.min(SigninFailure.occurred_at)).where(
            SigninFailure.key == key, SigninFailure.occurred_at > since_ms
        )
    )
    count, oldest = result.one()
    return int(count), oldest


async def nth_failure_since(session: AsyncSession, key: str, since_ms: int, n: int) -> int | None:
    """The time of ``key``'s ``n``-th failure (0-based, oldest first) since ``since_ms``."""
    result = await session.execute(
        select(SigninFailure.occurred_at)
        .where(SigninFailure.key == key, SigninFailure.occurred_at > since_ms)
        .order_by(SigninFailure.occurred_at)
        .offset(n)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def add_failures(session: AsyncSession, keys: Sequence[str], at_ms: int) -> None:
    await session.execute(
        insert(SigninFailure), [{"key": key, "occurred_at": at_ms} for key in keys]
    )


async def forget(session: AsyncSession, key: str) -> None:
    await session.execute(delete(SigninFailure).where(SigninFailure.key == key))


async def prune(session: AsyncSession, before_ms: int) -> None:
    await session.execute(delete(SigninFailure).where(SigninFailure.occurred_at <= before_ms))
