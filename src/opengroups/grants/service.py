"""Access-grant rules: who may read and change a resource's grants, and the share rule.

Unlike Open WebUI (its weakness S1), naming a group in a grant is checked: the group must exist,
and a non-admin may name it only if its share setting allows (``false``: nobody but admins;
``"members"``: its effective members) and their own ``access_grants.allow_groups`` permission
is on. Users named must exist.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.authz import service as authz_service
from opengroups.caching import Caches
from opengroups.config import Settings
from opengroups.errors import GroupNotFound, NotPermitted, UserNotFound
from opengroups.grants import repository
from opengroups.grants.schemas import (
    AccessCheckResponse,
    AccessibleResourcesResponse,
    GrantForm,
    GrantResponse,
    GrantsForm,
    Permission,
    ResourceGrantsResponse,
    grants_to_access_control,
)
from opengroups.groups import hierarchy
from opengroups.groups import repository as groups_repository
from opengroups.models import User
from opengroups.models.grant import EVERYONE
from opengroups.permissions import Authz
from opengroups.permissions.share import SHARE_FALSE, SHARE_MEMBERS, read_share
from opengroups.users import repository as users_repository

ALLOW_GROUPS_KEY = "access_grants.allow_groups"
ALLOW_USERS_KEY = "access_grants.allow_users"


def _is_admin(user: User) -> bool:
    return user.role == "admin"


async def _response(
    session: AsyncSession, resource_type: str, resource_id: str
) -> ResourceGrantsResponse:
    grants = [
        GrantResponse.model_validate(grant)
        for grant in await repository.grants_of(session, resource_type, resource_id)
    ]
    resource = await repository.get_resource(session, resource_type, resource_id)
    return ResourceGrantsResponse(
        resource_type=resource_type,
        resource_id=resource_id,
        owner_id=resource.owner_id if resource else None,
        grants=grants,
        access_control=grants_to_access_control(grants),
    )


async def _may_manage(
    session: AsyncSession, *, actor: User, resource_type: str, resource_id: str
) -> bool:
    """Admins, the resource's owner, and users holding ``write`` on it manage its grants."""
    if _is_admin(actor):
        return True
    resource = await repository.get_resource(session, resource_type, resource_id)
    if resource is not None and resource.owner_id == actor.id:
        return True
    return await repository.has_access(
        session,
        user_id=actor.id,
        resource_type=resource_type,
        resource_id=resource_id,
        permission="write",
    )


async def get_grants(
    session: AsyncSession, *, actor: User, resource_type: str, resource_id: str
) -> ResourceGrantsResponse:
    """The resource's grants. Raises ``NotPermitted`` unless the actor may manage them."""
    if not await _may_manage(
        session, actor=actor, resource_type=resource_type, resource_id=resource_id
    ):
        raise NotPermitted(
            "Only admins, the owner and users with write access may read a resource's grants."
        )
    return await _response(session, resource_type, resource_id)


async def _check_principals(
    session: AsyncSession,
    authz: Authz,
    caches: Caches,
    *,
    actor: User,
    grants: list[GrantForm],
    settings: Settings,
) -> None:
    user_ids = {g.principal_id for g in grants if g.principal_type == "user"} - {EVERYONE}
    known_users = {u.id for u in await users_repository.users_by_ids(session, sorted(user_ids))}
    missing_users = sorted(user_ids - known_users)
    if missing_users:
        raise UserNotFound(", ".join(missing_users))
    group_ids = sorted({g.principal_id for g in grants if g.principal_type == "group"})
    groups = {g.id: g for g in await groups_repository.groups_by_ids(session, group_ids)}
    missing_groups = [gid for gid in group_ids if gid not in groups]
    if missing_groups:
        raise GroupNotFound(", ".join(missing_groups))
    if _is_admin(actor):
        return
    granted = (
        await authz_service.effective_permissions(session, authz, caches, user_id=actor.id)
    ).granted
    catalog = authz.catalog.defaults
    if group_ids and ALLOW_GROUPS_KEY in catalog and ALLOW_GROUPS_KEY not in granted:
        raise NotPermitted("You may not share with groups (access_grants.allow_groups is off).")
    if user_ids and ALLOW_USERS_KEY in catalog and ALLOW_USERS_KEY not in granted:
        raise NotPermitted("You may not share with users (access_grants.allow_users is off).")
    mine: set[str] | None = None
    for group_id in group_ids:
        share = read_share(groups[group_id].data)
        if share == SHARE_FALSE:
            raise NotPermitted(f"Group '{group_id}' does not accept shares (share is false).")
        if share == SHARE_MEMBERS:
            if mine is None:
                mine = await hierarchy.member_group_ids(session, actor.id)
            if group_id not in mine:
                raise NotPermitted(
                    f"Only members may share with group '{group_id}' (share is \"members\")."
                )


async def set_grants(
    session: AsyncSession,
    authz: Authz,
    caches: Caches,
    *,
    actor: User,
    resource_type: str,
    resource_id: str,
    form: GrantsForm,
    settings: Settings,
) -> ResourceGrantsResponse:
    """Replace the resource's grants.

    Admins may always; others when they own it or hold ``write`` on it. The first user to
    write a resource's grants becomes its owner, so nobody can claim a resource that is already
    known, even one made private with no grants. Raises ``NotPermitted``, ``UserNotFound``,
    ``GroupNotFound``.
    """
    resource = await repository.get_resource(session, resource_type, resource_id)
    if resource is not None and not await _may_manage(
        session, actor=actor, resource_type=resource_type, resource_id=resource_id
    ):
        raise NotPermitted(
            "Only admins, the owner and users with write access may change these grants."
        )
    grants = form.as_grants()
    await _check_principals(session, authz, caches, actor=actor, grants=grants, settings=settings)
    if resource is None:  # the first writer of a resource's grants owns it
        await repository.add_resource(
            session, resource_type=resource_type, resource_id=resource_id, owner_id=actor.id
        )
    before = await _response(session, resource_type, resource_id)
    await repository.replace_grants(
        session,
        resource_type=resource_type,
        resource_id=resource_id,
        grants=[(g.principal_type, g.principal_id, g.permission) for g in grants],
    )
    after = await _response(session, resource_type, resource_id)

    def rows(response: ResourceGrantsResponse) -> list[dict[str, str]]:
        return [g.model_dump(exclude={"id"}) for g in response.grants]

    if rows(before) != rows(after) or resource is None:
        recorder.record(
            session,
            action="grants.set",
            resource_type=resource_type,
            resource_id=resource_id,
            before=rows(before),
            after=rows(after),
        )
    return after


async def _target_user(session: AsyncSession, *, actor: User, user_id: str | None) -> User:
    if user_id is None or user_id == actor.id:
        return actor
    if not _is_admin(actor):
        raise NotPermitted("Only admins may ask about another user's access.")
    user = await users_repository.get_user(session, user_id)
    if user is None:
        raise UserNotFound(user_id)
    return user


async def check_access(
    session: AsyncSession,
    authz: Authz,
    *,
    actor: User,
    user_id: str | None,
    resource_type: str,
    resource_id: str,
    permission: Permission,
) -> AccessCheckResponse:
    """Whether the user may use the resource with ``permission``. ``read`` and ``write`` are
    separate grants, as in Open WebUI. Admins pass when the bypass is on; pending users never
    (``Authz.standing``)."""
    user = await _target_user(session, actor=actor, user_id=user_id)
    standing = authz.standing(user.role)
    if standing != "granted":
        allowed = standing == "everything"
    else:
        allowed = await repository.has_access(
            session,
            user_id=user.id,
            resource_type=resource_type,
            resource_id=resource_id,
            permission=permission,
        )
    return AccessCheckResponse(
        user_id=user.id,
        resource_type=resource_type,
        resource_id=resource_id,
        permission=permission,
        allowed=allowed,
    )


async def _usable_ids(
    session: AsyncSession, authz: Authz, *, user: User, resource_type: str, permission: Permission
) -> list[str]:
    standing = authz.standing(user.role)
    if standing == "nothing":
        return []
    return await repository.accessible_resource_ids(
        session,
        user_id=None if standing == "everything" else user.id,
        resource_type=resource_type,
        permission=permission,
    )


async def accessible_resources(
    session: AsyncSession,
    authz: Authz,
    *,
    actor: User,
    user_id: str | None,
    resource_type: str,
    permission: Permission,
) -> AccessibleResourcesResponse:
    """Ids of the resources of a type the user may use (for an admin with the bypass: every id
    that has a grant of that permission)."""
    user = await _target_user(session, actor=actor, user_id=user_id)
    ids = await _usable_ids(
        session, authz, user=user, resource_type=resource_type, permission=permission
    )
    return AccessibleResourcesResponse(
        user_id=user.id, resource_type=resource_type, permission=permission, resource_ids=ids
    )


async def preview_user(
    session: AsyncSession, authz: Authz, *, actor: User, user_id: str
) -> dict[str, Any]:
    """``GET /users/{id}/preview`` (admin), shaped as Open WebUI's: the user, their effective
    groups and the models, knowledge and tools they may read. Raises ``UserNotFound``."""
    user = await _target_user(session, actor=actor, user_id=user_id)
    group_ids = await hierarchy.member_group_ids(session, user.id)
    groups = await groups_repository.groups_by_ids(session, group_ids)

    async def readable(resource_type: str) -> dict[str, Any]:
        ids = await _usable_ids(
            session, authz, user=user, resource_type=resource_type, permission="read"
        )
        return {"items": [{"id": rid, "name": rid} for rid in ids], "total": len(ids)}

    return {
        "user": {"id": user.id, "name": user.name, "email": user.email, "role": user.role},
        "groups": [{"id": group.id, "name": group.name} for group in groups],
        "models": await readable("model"),
        "knowledge": await readable("knowledge"),
        "tools": await readable("tool"),
    }
