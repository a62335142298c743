"""Open WebUI's ``/auths/admin/config``: sign-up, the default role and the default group, as an
admin set them at runtime over the environment's settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.auths.schemas import AdminConfig, AdminConfigForm
from opengroups.config import Settings
from opengroups.errors import GroupNotFound
from opengroups.groups import repository as groups_repository


async def get_admin_config(session: AsyncSession, *, settings: Settings) -> AdminConfig:
    """The effective sign-up and default-group configuration."""
    stored = await appconfig.stored_values(session, appconfig.SIGNUP_KEYS)
    return AdminConfig(
        ENABLE_SIGNUP=stored.get(appconfig.ENABLE_SIGNUP, settings.enable_signup),
        DEFAULT_USER_ROLE=stored.get(appconfig.DEFAULT_USER_ROLE, settings.default_user_role),
        DEFAULT_GROUP_ID=stored.get(appconfig.DEFAULT_GROUP_ID, settings.default_group_id) or "",
        JWT_EXPIRES_IN=f"{settings.jwt_expires_in}s",  # Open WebUI's duration syntax
    )


async def update_admin_config(
    session: AsyncSession, *, form: AdminConfigForm, settings: Settings
) -> AdminConfig:
    """Store the fields sent; a default group must exist (404 otherwise), ``""`` clears it."""
    before = await get_admin_config(session, settings=settings)
    changes: dict[str, Any] = {
        key: value
        for key, value in form.model_dump(exclude_unset=True).items()
        if value is not None or key == "DEFAULT_GROUP_ID"
    }
    if "ENABLE_SIGNUP" in changes:
        await appconfig.store(session, appconfig.ENABLE_SIGNUP, changes["ENABLE_SIGNUP"])
    if "DEFAULT_USER_ROLE" in changes:
        await appconfig.store(session, appconfig.DEFAULT_USER_ROLE, changes["DEFAULT_USER_ROLE"])
    if "DEFAULT_GROUP_ID" in changes:
        group_id = changes["DEFAULT_GROUP_ID"] or ""
        if group_id and await groups_repository.get_group(session, group_id) is None:
            raise GroupNotFound(group_id)
        await appconfig.store(session, appconfig.DEFAULT_GROUP_ID, group_id)
    after = await get_admin_config(session, settings=settings)
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
