"""Defaults, effective permissions, explanations and batch checks."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.authz.schemas import (
    ExplainedGroup,
    KeyExplanation,
    PermissionCheck,
    PermissionCheckResult,
    PermissionsExplanation,
    SourceGroup,
)
from opengroups.caching import Caches
from opengroups.errors import InvalidInput, UnknownUsers
from opengroups.groups import hierarchy
from opengroups.groups import repository as groups_repository
from opengroups.memberships import repository as memberships
from opengroups.models import Group, User
from opengroups.permissions import (
    DEFAULT_SOURCE,
    Authz,
    EffectivePermissions,
    GroupPermissions,
    PermissionTree,
    effective_keys,
    explain,
)
from opengroups.users import cache as users_cache
from opengroups.users.schemas import GroupRef


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


def _by_name(group: Group) -> tuple[str, str]:
    return (group.name_key, group.id)


def _explained_groups(groups: Sequence[Group], direct: Collection[str]) -> list[ExplainedGroup]:
    """Each of a user's effective ``groups`` (which hold every ancestor of each: effective
    membership flows upward) with its path from the top, and the ``direct`` groups below it
    that make the user a member; sorted by id. A parent chain is followed until it leaves the
    groups or comes back on itself (a cycle written outside the API)."""
    by_id = {group.id: group for group in groups}

    def chain(group: Group) -> list[Group]:
        """The group and its ancestors, nearest first."""
        found = [group]
        while (parent := by_id.get(found[-1].parent_group_id or "")) and parent not in found:
            found.append(parent)
        return found

    chains = {group.id: chain(group) for group in groups}
    via: dict[str, list[Group]] = {group.id: [] for group in groups}
    for member_of in sorted((by_id[gid] for gid in direct if gid in by_id), key=_by_name):
        for ancestor in chains[member_of.id][1:]:
            via[ancestor.id].append(member_of)
    return [
        ExplainedGroup(
            id=group.id,
            name=group.name,
            path=[GroupRef(id=g.id, name=g.name) for g in reversed(chains[group.id])],
            membership="direct" if group.id in direct else "inherited",
            via=[GroupRef(id=g.id, name=g.name) for g in via[group.id]],
        )
        for group in sorted(groups, key=lambda g: g.id)
    ]


async def explain_permissions(
    session: AsyncSession, authz: Authz, *, user: User
) -> PermissionsExplanation:
    """The user's effective tree and, for every key, what grants it: ``default`` and/or group
    ids, each group also with its name and path; and the user's effective groups, each with
    its name, path, and whether the membership is direct or inherited (through which group)."""
    defaults = await default_values(session, authz)
    groups = await groups_repository.groups_by_ids(
        session, await hierarchy.member_group_ids(session, user.id)
    )
    direct = await memberships.direct_group_ids(session, user.id)
    explanation = explain(
        authz.catalog, defaults, [GroupPermissions(group.id, group.permissions) for group in groups]
    )
    details = _explained_groups(groups, direct)
    sources = {
        detail.id: SourceGroup(id=detail.id, name=detail.name, path=detail.path)
        for detail in details
    }
    values = {key: item.value for key, item in explanation.items()}
    return PermissionsExplanation(
        user_id=user.id,
        role=user.role,
        admin_bypass=authz.standing(user.role) == "everything",
        permissions=authz.catalog.render(values),
        explanation={
            key: KeyExplanation(
                value=item.value,
                sources=list(item.sources),
                source_groups=[sources[s] for s in item.sources if s != DEFAULT_SOURCE],
            )
            for key, item in explanation.items()
        },
        groups=[detail.id for detail in details],
        group_details=details,
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
