"""Defaults, effective permissions, explanations and batch checks."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.authz.schemas import (
    KeyExplanation,
    PermissionCheck,
    PermissionCheckResult,
    PermissionsExplanation,
)
from opengroups.caching import Caches
from opengroups.errors import InvalidInput, UnknownUsers
from opengroups.groups import hierarchy
from opengroups.groups import repository as groups_repository
from opengroups.models import User
from opengroups.permissions import (
    Authz,
    EffectivePermissions,
    GroupPermissions,
    PermissionTree,
    effective_keys,
    explain,
)
from opengroups.users import cache as users_cache


async def default_values(session: AsyncSession, authz: Authz) -> dict[str, bool]:
    """The admin-stored defaults, every key the admin did not set taken from the catalog."""
    return authz.catalog.values(await appconfig.stored_default_permissions(session))


async def get_default_permissions(session: AsyncSession, authz: Authz) -> PermissionTree:
    return authz.catalog.render(await default_values(session, authz))


async def set_default_permissions(
    session: AsyncSession, authz: Authz, tree: object
) -> PermissionTree:
    """Store new defaults (a partial tree is filled from the catalog). Raises ``InvalidInput``."""
    checked = authz.validated(tree)
    filled = authz.catalog.render(authz.catalog.values(checked))
    before = await get_default_permissions(session, authz)
    await appconfig.store_default_permissions(session, filled)
    if filled != before:
        recorder.record(
            session,
            action="permissions.defaults.update",
            resource_type="config",
            resource_id=appconfig.DEFAULT_PERMISSIONS,
            before=before,
            after=filled,
            affects_all_users=True,
        )
    return filled


async def group_permissions(session: AsyncSession, user_id: str) -> list[GroupPermissions]:
    """The permission trees of the user's effective groups."""
    group_ids = await hierarchy.member_group_ids(session, user_id)
    groups = await groups_repository.groups_by_ids(session, group_ids)
    return [GroupPermissions(group.id, group.permissions) for group in groups]


def _shared(caches: Caches, authz: Authz, granted: frozenset[str]) -> EffectivePermissions:
    """The one value for ``granted``, shared by every user who has it."""
    value = caches.permission_values.get(granted)
    if value is None:
        value = caches.permission_values[granted] = EffectivePermissions.of(authz.catalog, granted)
    return value


async def effective_permissions(
    session: AsyncSession, authz: Authz, caches: Caches, *, user_id: str
) -> EffectivePermissions:
    """Defaults OR every effective group's permissions, from the cache when still exact."""
    await caches.observe(session)
    cached = caches.permissions.get(user_id)
    if cached is not None:
        return cached
    computed_at = await caches.filing_revision(session)
    defaults = await default_values(session, authz)
    granted = effective_keys(authz.catalog, defaults, await group_permissions(session, user_id))
    value = _shared(caches, authz, granted)
    caches.put_permissions(user_id, computed_at, value)
    return value


async def explain_permissions(
    session: AsyncSession, authz: Authz, *, user: User
) -> PermissionsExplanation:
    """The user's effective tree and, for every key, what grants it."""
    defaults = await default_values(session, authz)
    groups = await group_permissions(session, user.id)
    explanation = explain(authz.catalog, defaults, groups)
    values = {key: item.value for key, item in explanation.items()}
    return PermissionsExplanation(
        user_id=user.id,
        role=user.role,
        admin_bypass=authz.standing(user.role) == "everything",
        permissions=authz.catalog.render(values),
        explanation={
            key: KeyExplanation(value=item.value, sources=list(item.sources))
            for key, item in explanation.items()
        },
        groups=sorted(group.group_id for group in groups),
    )


async def check_permissions(
    session: AsyncSession,
    authz: Authz,
    caches: Caches,
    *,
    checks: Sequence[PermissionCheck],
) -> list[PermissionCheckResult]:
    """Answer every ``(user, key)`` question (``Authz.allows``: admins pass unless the bypass
    is off; pending users pass nothing). Raises ``InvalidInput`` for unknown keys and
    ``UnknownUsers``."""
    unknown_keys = sorted({c.key for c in checks if c.key not in authz.catalog.defaults})
    if unknown_keys:
        raise InvalidInput(f"Unknown permission keys: {', '.join(unknown_keys[:50])}.")
    user_ids = list(dict.fromkeys(c.user_id for c in checks))
    users = await users_cache.cached_users(session, caches, user_ids)
    missing = [uid for uid in user_ids if uid not in users]
    if missing:
        raise UnknownUsers(missing)
    granted: dict[str, frozenset[str]] = {}
    for user_id, user in users.items():
        if authz.standing(user.role) == "granted":
            value = await effective_permissions(session, authz, caches, user_id=user_id)
            granted[user_id] = value.granted
        else:
            granted[user_id] = frozenset()
    return [
        PermissionCheckResult(
            user_id=c.user_id,
            key=c.key,
            allowed=authz.allows(users[c.user_id].role, c.key, granted[c.user_id]),
        )
        for c in checks
    ]
