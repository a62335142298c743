"""The only place with SQL for the connector: its targets."""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.models import OwuiTarget


async def targets(session: AsyncSession) -> list[OwuiTarget]:
    result = await session.execute(select(OwuiTarget).order_by(OwuiTarget.name))
    return list(result.scalars())


async def target_by_name(
    session: AsyncSession, name: str, *, for_update: bool = False
) -> OwuiTarget | None:
    query = select(OwuiTarget).where(OwuiTarget.name == name)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def target_by_id_for_update(session: AsyncSession, target_id: str) -> OwuiTarget | None:
    query = select(OwuiTarget).where(OwuiTarget.id == target_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def delete_target(session: AsyncSession, target_id: str) -> None:
    await session.execute(delete(OwuiTarget).where(OwuiTarget.id == target_id))


async def claim(session: AsyncSession, target_id: str, *, now: int, until: int) -> bool:
    """Take the target's lease until ``until`` unless another process holds one; whether this
    call took it. One conditional update, so two processes cannot both win."""
    result = await session.execute(
        update(OwuiTarget)
        .where(
            OwuiTarget.id == target_id,
            or_(OwuiTarget.lease_until.is_(None), OwuiTarget.lease_until <= now),
        )
        .values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def release(session: AsyncSession, target_id: str) -> None:
    await session.execute(
        update(OwuiTarget)
        .where(OwuiTarget.id == target_id)
        .values(lease_until=None)
        .execution_options(synchronize_session=False)
    )
