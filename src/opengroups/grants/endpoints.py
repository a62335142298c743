"""``/api/v1/grants``: resource access grants (native routes)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from opengroups.dependencies import AdminUser, RuntimeDep, SessionDep, VerifiedUser
from opengroups.grants import service
from opengroups.grants.schemas import (
    AccessCheckResponse,
    AccessibleResourcesResponse,
    GrantsForm,
    Permission,
    ResourceGrantsResponse,
)
from opengroups.openapi import refusals

router = APIRouter(prefix="/api/v1/grants", tags=["grants"])

ResourceTypePath = Annotated[
    str, Path(pattern=r"^[a-z][a-z0-9_\-]{0,63}$", description="e.g. model, knowledge, note")
]
ResourceIdPath = Annotated[str, Path(min_length=1, max_length=255)]
UserIdQuery = Annotated[
    str | None,
    Query(max_length=64, description="Whose access (default: the caller; others: admin)"),
]


@router.get(
    "/{resource_type}/{resource_id}", response_model=ResourceGrantsResponse, responses=refusals(403)
)
async def get_grants(
    resource_type: ResourceTypePath,
    resource_id: ResourceIdPath,
    session: SessionDep,
    user: VerifiedUser,
) -> ResourceGrantsResponse:
    """The resource's grants, also in Open WebUI's legacy ``access_control`` form."""
    return await service.get_grants(
        session, actor=user, resource_type=resource_type, resource_id=resource_id
    )


@router.put(
    "/{resource_type}/{resource_id}",
    response_model=ResourceGrantsResponse,
    responses=refusals(403, 404),
)
async def set_grants(
    resource_type: ResourceTypePath,
    resource_id: ResourceIdPath,
    form: GrantsForm,
    session: SessionDep,
    runtime: RuntimeDep,
    user: VerifiedUser,
) -> ResourceGrantsResponse:
    """Replace the resource's grants (``[]`` removes them). Naming a group a non-admin may not
    share with is 403; an unknown user or group is 404."""
    return await service.set_grants(
        session,
        runtime.authz,
        runtime.caches,
        actor=user,
        resource_type=resource_type,
        resource_id=resource_id,
        form=form,
        settings=runtime.settings,
    )


@router.get(
    "/{resource_type}/{resource_id}/access",
    response_model=AccessCheckResponse,
    responses=refusals(403, 404),
)
async def check_access(
    resource_type: ResourceTypePath,
    resource_id: ResourceIdPath,
    session: SessionDep,
    runtime: RuntimeDep,
    user: VerifiedUser,
    user_id: UserIdQuery = None,
    permission: Permission = "read",
) -> AccessCheckResponse:
    """``has_access(user, resource_type, resource_id, permission)``."""
    return await service.check_access(
        session,
        runtime.authz,
        actor=user,
        user_id=user_id,
        resource_type=resource_type,
        resource_id=resource_id,
        permission=permission,
    )


@router.get(
    "/{resource_type}", response_model=AccessibleResourcesResponse, responses=refusals(403, 404)
)
async def accessible_resources(
    resource_type: ResourceTypePath,
    session: SessionDep,
    runtime: RuntimeDep,
    user: VerifiedUser,
    user_id: UserIdQuery = None,
    permission: Permission = "read",
) -> AccessibleResourcesResponse:
    """The ids of the resources of this type the user may read (or write)."""
    return await service.accessible_resources(
        session,
        runtime.authz,
        actor=user,
        user_id=user_id,
        resource_type=resource_type,
        permission=permission,
    )


# Open WebUI serves the user preview under /users; what it lists comes from the grants.
users_router = APIRouter(prefix="/api/v1/users", tags=["users"])


@users_router.get("/{user_id}/preview")
async def preview_user(
    user_id: str, session: SessionDep, runtime: RuntimeDep, admin: AdminUser
) -> dict[str, Any]:
    """The user, their effective groups, and the models, knowledge and tools they may read."""
    return await service.preview_user(session, runtime.authz, actor=admin, user_id=user_id)
