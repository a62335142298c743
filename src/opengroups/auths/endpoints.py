"""``/api/v1/auths``: Open WebUI-compatible sign-up, sign-in and API keys."""

from __future__ import annotations

from fastapi import APIRouter

from opengroups.appconfig import service as appconfig
from opengroups.appconfig.schemas import AdminConfig, AdminConfigForm
from opengroups.auths import service
from opengroups.auths.schemas import (
    AddUserForm,
    ApiKeyResponse,
    SessionUserResponse,
    SigninForm,
    SignupForm,
)
from opengroups.dependencies import (
    AdminUser,
    AuthzDep,
    BearerDep,
    CurrentUser,
    SessionDep,
    SettingsDep,
    VerifiedUser,
)

router = APIRouter(prefix="/api/v1/auths", tags=["auths"])


@router.get("/", response_model=SessionUserResponse)
async def get_session_user(
    session: SessionDep, authz: AuthzDep, user: CurrentUser, credentials: BearerDep
) -> SessionUserResponse:
    """The caller, with its effective permissions. Pending accounts may call this (and only this)
    so that a client can tell them they are waiting for approval."""
    permissions = await service.permissions_of(session, authz, user)
    token = credentials.credentials if credentials else ""
    return service.session_response(user, token=token, expires_at=None, permissions=permissions)


@router.post("/signup", response_model=SessionUserResponse)
async def signup(
    form: SignupForm, session: SessionDep, authz: AuthzDep, settings: SettingsDep
) -> SessionUserResponse:
    return await service.signup(session, authz, form=form, settings=settings)


@router.post("/signin", response_model=SessionUserResponse)
async def signin(
    form: SigninForm, session: SessionDep, authz: AuthzDep, settings: SettingsDep
) -> SessionUserResponse:
    return await service.signin(session, authz, form=form, settings=settings)


@router.post("/add", response_model=SessionUserResponse)
async def add_user(
    form: AddUserForm,
    session: SessionDep,
    authz: AuthzDep,
    settings: SettingsDep,
    _admin: AdminUser,
) -> SessionUserResponse:
    return await service.add_user(session, authz, form=form, settings=settings)


@router.post("/api_key", response_model=ApiKeyResponse)
async def create_api_key(
    session: SessionDep, authz: AuthzDep, user: VerifiedUser
) -> ApiKeyResponse:
    """A new API key for the caller, replacing the old one. It is shown once; only its hash is
    stored. Non-admins need the ``features.api_keys`` permission, as in Open WebUI."""
    return ApiKeyResponse(api_key=await service.create_api_key(session, authz, user_id=user.id))


@router.delete("/api_key", response_model=bool)
async def delete_api_key(session: SessionDep, user: VerifiedUser) -> bool:
    await service.delete_api_key(session, user_id=user.id)
    return True


@router.get("/admin/config", response_model=AdminConfig)
async def get_admin_config(
    session: SessionDep, settings: SettingsDep, _admin: AdminUser
) -> AdminConfig:
    return await appconfig.get_admin_config(session, settings=settings)


@router.post("/admin/config", response_model=AdminConfig)
async def update_admin_config(
    form: AdminConfigForm, session: SessionDep, settings: SettingsDep, _admin: AdminUser
) -> AdminConfig:
    return await appconfig.update_admin_config(session, form=form, settings=settings)
