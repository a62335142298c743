"""Runtime configuration: settings from the environment, overridden by what an admin stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import repository
from opengroups.appconfig.schemas import AdminConfig, AdminConfigForm
from opengroups.audit import recorder
from opengroups.config import Settings
from opengroups.errors import GroupNotFound
from opengroups.groups import repository as groups_repository

DEFAULT_GROUP_ID = "ui.default_group_id"
ENABLE_SIGNUP = "auth.enable_signup"
DEFAULT_USER_ROLE = "auth.default_user_role"
PRIMARY_ADMIN_ID = "auth.primary_admin_id"

_KEYS = [DEFAULT_GROUP_ID, ENABLE_SIGNUP, DEFAULT_USER_ROLE]


async def get_admin_config(session: AsyncSession, *, settings: Settings) -> AdminConfig:
    """The effective sign-up and default-group configuration."""
    stored = await repository.get_values(session, _KEYS)
    return AdminConfig(
        ENABLE_SIGNUP=stored.get(ENABLE_SIGNUP, settings.enable_signup),
        DEFAULT_USER_ROLE=stored.get(DEFAULT_USER_ROLE, settings.default_user_role),
        DEFAULT_GROUP_ID=stored.get(DEFAULT_GROUP_ID, settings.default_group_id) or "",
    )


async def update_admin_config(
    session: AsyncSession, *, form: AdminConfigForm, settings: Settings
) -> AdminConfig:
    before = await get_admin_config(session, settings=settings)
    after = await _store_admin_config(session, form=form, settings=settings)
    if after != before:
        recorder.record(
            session,
            action="config.update",
            resource_type="config",
            resource_id="auth",
            before=before.model_dump(),
            after=after.model_dump(),
        )
    return after


async def _store_admin_config(
    session: AsyncSession, *, form: AdminConfigForm, settings: Settings
) -> AdminConfig:
    """Store the fields sent; a default group must exist (404 otherwise), ``""`` clears it."""
    changes: dict[str, Any] = {
        key: value
        for key, value in form.model_dump(exclude_unset=True).items()
        if value is not None or key == "DEFAULT_GROUP_ID"
    }
    if "ENABLE_SIGNUP" in changes:
        await repository.set_value(session, ENABLE_SIGNUP, changes["ENABLE_SIGNUP"])
    if "DEFAULT_USER_ROLE" in changes:
        await repository.set_value(session, DEFAULT_USER_ROLE, changes["DEFAULT_USER_ROLE"])
    if "DEFAULT_GROUP_ID" in changes:
        group_id = changes["DEFAULT_GROUP_ID"] or ""
        if group_id and await groups_repository.get_group(session, group_id) is None:
            raise GroupNotFound(group_id)
        await repository.set_value(session, DEFAULT_GROUP_ID, group_id)
    return await get_admin_config(session, settings=settings)


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
