"""Defaults, effective permissions, explanations and batch checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import repository as config_repository
from opengroups.audit import recorder
from opengroups.auths.cache import AuthCache
from opengroups.auths.cache import users_by_ids as cached_users_by_ids
from opengroups.authz import revision as revisions
from opengroups.authz.cache import EffectivePermissions
from opengroups.authz.context import Authz
from opengroups.authz.schemas import (
    KeyExplanation,
    PermissionCheck,
    PermissionCheckResult,
    PermissionsExplanation,
)
from opengroups.errors import InvalidInput, UnknownUsers
from opengroups.groups import repository as groups_repository
from opengroups.memberships import repository as memberships
from opengroups.models import User
from opengroups.permissions import (
    GroupPermissions,
    PermissionTree,
    PermissionTreeError,
    effective_keys,
    explain,
)

DEFAULT_PERMISSIONS_KEY = "user.permissions"


def validate_permissions(
    authz: Authz, tree: object, *, field: str = "permissions"
) -> PermissionTree:
    """``tree`` checked against the catalog. Raises ``InvalidInput`` (422) naming the path."""
    try:
        return authz.catalog.validate_tree(tree)
    except PermissionTreeError as exc:
        path = f"{field}.{exc.path}" if exc.path else field
        raise InvalidInput(f"{path}: {exc.reason}") from exc


async def _stored_defaults(session: AsyncSession) -> dict[str, Any] | None:
    found, value = await config_repository.get_value(session, DEFAULT_PERMISSIONS_KEY)
    return value if found and isinstance(value, dict) else None


async def default_values(session: AsyncSession, authz: Authz) -> dict[str, bool]:
    """The admin-stored defaults, every key the admin did not set taken from the catalog."""
    return authz.catalog.values(await _stored_defaults(session))


async def get_default_permissions(session: AsyncSession, authz: Authz) -> PermissionTree:
    return authz.catalog.render(await default_values(session, authz))


async def set_default_permissions(
    session: AsyncSession, authz: Authz, tree: object
) -> PermissionTree:
    """Store new defaults (a partial tree is filled from the catalog). Raises ``InvalidInput``."""
    checked = validate_permissions(authz, tree)
    filled = authz.catalog.render(authz.catalog.values(checked))
    before = await get_default_permissions(session, authz)
    await config_repository.set_value(session, DEFAULT_PERMISSIONS_KEY, filled)
    if filled != before:
        await revisions.bump_revision(session)
        recorder.record(
            session,
            action="permissions.defaults.update",
            resource_type="config",
            resource_id=DEFAULT_PERMISSIONS_KEY,
            before=before,
            after=filled,
            affects_all_users=True,
        )
    return filled


async def _group_permissions(session: AsyncSession, user_id: str) -> list[GroupPermissions]:
    group_ids = await memberships.effective_group_ids(session, user_id)
    groups = await groups_repository.groups_by_ids(session, group_ids)
    return [GroupPermissions(group.id, group.permissions) for group in groups]


async def effective_permissions(
    session: AsyncSession, authz: Authz, *, user_id: str
) -> EffectivePermissions:
    """Defaults OR every effective group's permissions, from the cache when still exact."""
    observed = await revisions.observed_revision(session)
    cached = authz.cache.get(user_id, observed)
    if cached is not None:
        return cached
    revision = await revisions.revision_for_caching(session, observed)
    defaults = await default_values(session, authz)
    granted = effective_keys(authz.catalog, defaults, await _group_permissions(session, user_id))
    value = authz.effective(granted)
    authz.cache.put(user_id, revision, value)
    return value


async def explain_permissions(
    session: AsyncSession, authz: Authz, *, user: User
) -> PermissionsExplanation:
    """The user's effective tree and, for every key, what grants it."""
    defaults = await default_values(session, authz)
    groups = await _group_permissions(session, user.id)
    explanation = explain(authz.catalog, defaults, groups)
    values = {key: item.value for key, item in explanation.items()}
    return PermissionsExplanation(
        user_id=user.id,
        role=user.role,
        admin_bypass=authz.admin_bypass and user.role == "admin",
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
    users_cache: AuthCache,
    *,
    checks: Sequence[PermissionCheck],
) -> list[PermissionCheckResult]:
    """Answer every ``(user, key)`` question. Admins pass unless the bypass is off; pending
    users pass nothing. Raises ``InvalidInput`` for unknown keys and ``UnknownUsers``."""
    unknown_keys = sorted({c.key for c in checks if c.key not in authz.catalog.defaults})
    if unknown_keys:
        raise InvalidInput(f"Unknown permission keys: {', '.join(unknown_keys[:50])}.")
    user_ids = list(dict.fromkeys(c.user_id for c in checks))
    users = await cached_users_by_ids(session, users_cache, user_ids)
    missing = [uid for uid in user_ids if uid not in users]
    if missing:
        raise UnknownUsers(missing)
    granted: dict[str, frozenset[str]] = {}
    for user_id, user in users.items():
        if user.role == "pending":
            granted[user_id] = frozenset()
        elif user.role == "admin" and authz.admin_bypass:
            granted[user_id] = frozenset(authz.catalog.defaults)
        else:
            granted[user_id] = (
                await effective_permissions(session, authz, user_id=user_id)
            ).granted
    return [
        PermissionCheckResult(user_id=c.user_id, key=c.key, allowed=c.key in granted[c.user_id])
        for c in checks
    ]
