"""The only place with SQL for the connector: its targets."""

from __future__ import annotations

from sqlalchemy import delete, select
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
