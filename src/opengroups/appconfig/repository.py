"""SQL for the ``config`` table."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.models import ConfigEntry, now_epoch


async def get_value(session: AsyncSession, key: str) -> tuple[bool, Any]:
    """``(found, value)`` for ``key``."""
    entry = await session.get(ConfigEntry, key)
    return (False, None) if entry is None else (True, entry.value)


async def get_values(session: AsyncSession, keys: list[str]) -> dict[str, Any]:
    rows = await session.execute(
        select(ConfigEntry.key, ConfigEntry.value).where(ConfigEntry.key.in_(keys))
    )
    return {key: value for key, value in rows}


async def set_value(session: AsyncSession, key: str, value: Any) -> None:
    entry = await session.get(ConfigEntry, key)
    if entry is None:
        session.add(ConfigEntry(key=key, value=value, updated_at=now_epoch()))
    else:
        entry.value = value
        entry.updated_at = now_epoch()
    await session.flush()
