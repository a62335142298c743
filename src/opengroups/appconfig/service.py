"""The settings an admin can change at runtime, stored one row per key: each read falls back
to the environment's value (``Settings``) when nothing is stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import repository
from opengroups.config import Settings

DEFAULT_GROUP_ID = "ui.default_group_id"
ENABLE_SIGNUP = "auth.enable_signup"
DEFAULT_USER_ROLE = "auth.default_user_role"
PRIMARY_ADMIN_ID = "auth.primary_admin_id"
DEFAULT_PERMISSIONS = "user.permissions"

SIGNUP_KEYS = [DEFAULT_GROUP_ID, ENABLE_SIGNUP, DEFAULT_USER_ROLE]


async def stored_values(session: AsyncSession, keys: list[str]) -> dict[str, Any]:
    """The values stored for ``keys`` (keys with none are left out)."""
    return await repository.get_values(session, keys)


async def store(session: AsyncSession, key: str, value: Any) -> None:
    await repository.set_value(session, key, value)


async def default_group_id(session: AsyncSession, *, settings: Settings) -> str | None:
    found, value = await repository.get_value(session, DEFAULT_GROUP_ID)
    group_id = value if found else settings.default_group_id
    return group_id or None


async def forget_default_group(session: AsyncSession, group_id: str, *, settings: Settings) -> None:
    """Called when a group is deleted, so later sign-ups do not point at a missing group."""
    if await default_group_id(session, settings=settings) == group_id:
        await repository.set_value(session, DEFAULT_GROUP_ID, "")


async def remember_primary_admin(session: AsyncSession, user_id: str) -> None:
    """Record the account the first sign-up made admin. Creation times have one-second
    resolution, so "the oldest admin" alone cannot tell apart admins created in one second."""
    await repository.set_value(session, PRIMARY_ADMIN_ID, user_id)


async def recorded_primary_admin_id(session: AsyncSession) -> str | None:
    found, value = await repository.get_value(session, PRIMARY_ADMIN_ID)
    return value if found and isinstance(value, str) and value else None


async def stored_default_permissions(session: AsyncSession) -> dict[str, Any] | None:
    """The default permission tree an admin stored, if any."""
    found, value = await repository.get_value(session, DEFAULT_PERMISSIONS)
    return value if found and isinstance(value, dict) else None


async def store_default_permissions(session: AsyncSession, tree: dict[str, Any]) -> None:
    await repository.set_value(session, DEFAULT_PERMISSIONS, tree)
