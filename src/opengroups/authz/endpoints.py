"""Permission routes: Open WebUI's defaults and effective-permission routes, plus native
explain, per-user reads and the batch check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response

from opengroups.authz import service
from opengroups.authz.schemas import (
    CatalogResponse,
    PermissionCheckForm,
    PermissionCheckResponse,
    PermissionsExplanation,
)
from opengroups.dependencies import AdminUser, RuntimeDep, SessionDep, VerifiedUser
from opengroups.users import service as users_service

router = APIRouter(tags=["permissions"])


@router.get("/api/v1/users/default/permissions")
async def get_default_permissions(
    session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> dict[str, Any]:
    """The defaults every user starts from: the stored ones, filled from the catalog."""
    return await service.get_default_permissions(session, runtime.authz)


@router.post("/api/v1/users/default/permissions")
async def set_default_permissions(
    session: SessionDep,
    runtime: RuntimeDep,
    _admin: AdminUser,
    tree: dict[str, Any] = Body(description="A full or partial tree of catalog keys."),
) -> dict[str, Any]:
    """Store new defaults; keys left out take the catalog's default. 422 names a bad path."""
    return await service.set_default_permissions(session, runtime.authz, tree)


@router.get("/api/v1/users/default/permissions/defaults")
async def get_catalog_defaults(runtime: RuntimeDep, _admin: AdminUser) -> dict[str, Any]:
    """The catalog's own defaults (what 'reset' restores)."""
    return runtime.authz.catalog.default_tree()


@router.get("/api/v1/users/permissions", response_model=dict[str, Any])
async def my_permissions(session: SessionDep, runtime: RuntimeDep, user: VerifiedUser) -> Response:
    """The caller's effective permission tree."""
    effective = await service.effective_permissions(
        session, runtime.authz, runtime.caches, user_id=user.id
    )
    # Encoded once per cache entry: the hottest read of all.
    return Response(effective.tree_json, media_type="application/json")


@router.get("/api/v1/users/permissions/explain", response_model=PermissionsExplanation)
async def explain_my_permissions(
    session: SessionDep, runtime: RuntimeDep, user: VerifiedUser
) -> PermissionsExplanation:
    """The caller's effective permissions and, for each key, what grants it (``default``
    and/or group ids, with each group's name and path in ``source_groups``); the caller's
    effective groups, direct or inherited, in ``group_details``."""
    return await service.explain_permissions(session, runtime.authz, user=user)


@router.get("/api/v1/users/{user_id}/permissions")
async def user_permissions(
    user_id: str, session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> dict[str, Any]:
    """Any user's effective permission tree."""
    user = await users_service.require_user(session, user_id)
    effective = await service.effective_permissions(
        session, runtime.authz, runtime.caches, user_id=user.id
    )
    return effective.tree


@router.get("/api/v1/users/{user_id}/permissions/explain", response_model=PermissionsExplanation)
async def explain_user_permissions(
    user_id: str, session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> PermissionsExplanation:
    """Any user's effective permissions with, per key, ``default`` and/or the granting groups
    (ids in ``sources``; names and paths from the top of the tree in ``source_groups``), and
    the user's effective groups with how they are a member (``group_details``)."""
    user = await users_service.require_user(session, user_id)
    return await service.explain_permissions(session, runtime.authz, user=user)


@router.post("/api/v1/permissions/check", response_model=PermissionCheckResponse)
async def check_permissions(
    form: PermissionCheckForm, session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> PermissionCheckResponse:
    """Answer many ``(user_id, key)`` questions at once, in the order asked. Admins pass every
    check unless ``OPENGROUPS_ADMIN_BYPASS=false``; pending users pass none."""
    return PermissionCheckResponse(
        results=await service.check_permissions(
            session, runtime.authz, runtime.caches, checks=form.checks
        )
    )


@router.get("/api/v1/permissions/catalog", response_model=CatalogResponse)
async def get_catalog(runtime: RuntimeDep, _user: VerifiedUser) -> CatalogResponse:
    """Every permission key this instance knows, with its catalog default and what it
    allows."""
    catalog = runtime.authz.catalog
    return CatalogResponse(
        version=catalog.version,
        permissions=catalog.default_tree(),
        descriptions=dict(catalog.descriptions),
    )
