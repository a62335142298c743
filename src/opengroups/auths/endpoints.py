"""``/api/v1/auths``: Open WebUI-compatible sign-up, sign-in and API keys."""

from __future__ import annotations

from fastapi import APIRouter

from opengroups.auths import admin_config, service
from opengroups.auths.schemas import (
    AddUserForm,
    AdminConfig,
    AdminConfigForm,
    AdminDetails,
    ApiKeyResponse,
    SessionUserResponse,
    SigninForm,
    SignupForm,
    UpdatePasswordForm,
    UpdateProfileForm,
)
from opengroups.dependencies import (
    ActorDep,
    AdminUser,
    BearerDep,
    CurrentUser,
    DatabaseDep,
    RuntimeDep,
    SessionDep,
    VerifiedUser,
)
from opengroups.openapi import refusals
from opengroups.users import service as users_service
from opengroups.users.schemas import UserModel

router = APIRouter(prefix="/api/v1/auths", tags=["auths"])


@router.get("/", response_model=SessionUserResponse)
async def get_session_user(
    session: SessionDep, runtime: RuntimeDep, user: CurrentUser, credentials: BearerDep
) -> SessionUserResponse:
    """The caller, with its effective permissions. Pending accounts may call this (and only this)
    so that a client can tell them they are waiting for approval."""
    permissions = await service.permissions_of(session, runtime.authz, runtime.caches, user)
    token = credentials.credentials if credentials else ""
    expires_at = service.token_expiry(runtime.caches, credential=token, settings=runtime.settings)
    return service.session_response(
        user, token=token, expires_at=expires_at, permissions=permissions
    )


@router.post("/signup", response_model=SessionUserResponse, responses=refusals(403, 409))
async def signup(form: SignupForm, session: SessionDep, runtime: RuntimeDep) -> SessionUserResponse:
    """Create an account and sign it in. The first account while there is no admin becomes
    the primary admin; later ones get the default role (``pending`` unless configured: an
    admin approves them) and join the default group. 403 when sign-up is off
    (``OPENGROUPS_ENABLE_SIGNUP``, or ``/auths/admin/config``), 409 when the e-mail is taken."""
    return await service.signup(
        session,
        runtime.authz,
        runtime.caches,
        runtime.passwords,
        form=form,
        settings=runtime.settings,
    )


@router.post("/signin", response_model=SessionUserResponse, responses=refusals(400, 429))
async def signin(
    form: SigninForm, database: DatabaseDep, actor: ActorDep, runtime: RuntimeDep
) -> SessionUserResponse:
    """Sign in with an e-mail and password. Failed sign-ins are counted per account and per
    address; past the limits the answer is 429 with ``Retry-After`` (``docs/security.md``)."""
    return await service.signin(
        database,
        runtime.authz,
        runtime.caches,
        runtime.passwords,
        form=form,
        settings=runtime.settings,
        actor=actor,
    )


@router.post("/add", response_model=SessionUserResponse, responses=refusals(409))
async def add_user(
    form: AddUserForm, session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> SessionUserResponse:
    """Create an account with the role given (admins only), whatever the sign-up setting; the
    answer carries a token for the new account. 409 when the e-mail is taken."""
    return await service.add_user(
        session,
        runtime.authz,
        runtime.caches,
        runtime.passwords,
        form=form,
        settings=runtime.settings,
    )


@router.post("/api_key", response_model=ApiKeyResponse, responses=refusals(403))
async def create_api_key(
    session: SessionDep, runtime: RuntimeDep, user: VerifiedUser
) -> ApiKeyResponse:
    """A new API key for the caller, replacing the old one. It is shown once; only its hash is
    stored. Non-admins need the ``features.api_keys`` permission, as in Open WebUI."""
    key = await service.create_api_key(session, runtime.authz, runtime.caches, user_id=user.id)
    return ApiKeyResponse(api_key=key)


@router.post("/update/profile", response_model=UserModel)
async def update_profile(
    form: UpdateProfileForm, session: SessionDep, runtime: RuntimeDep, user: VerifiedUser
) -> UserModel:
    """Change the caller's own name, picture, ``bio``, ``gender`` or ``date_of_birth``."""
    return await users_service.update_own_profile(session, runtime.passwords, user=user, form=form)


@router.post("/update/password", response_model=bool, responses=refusals(400))
async def update_password(
    form: UpdatePasswordForm, session: SessionDep, runtime: RuntimeDep, user: VerifiedUser
) -> bool:
    """Change the caller's password, given the current one (400 if wrong). Every session of
    the caller ends, this one's token included: sign in again with the new password."""
    await service.change_password(session, runtime.passwords, user=user, form=form)
    return True


@router.post("/signout")
async def sign_out(session: SessionDep, user: CurrentUser) -> dict[str, bool]:
    """End every token and admin session of the caller (on every device: sessions carry their
    user's token version). API keys are not sessions and keep working; delete one with
    ``DELETE /auths/api_key``."""
    await service.sign_out(session, user_id=user.id)
    return {"status": True}


@router.delete("/api_key", response_model=bool)
async def delete_api_key(session: SessionDep, user: VerifiedUser) -> bool:
    """Delete the caller's API key: it is refused from now on. ``true`` even when there was
    none."""
    await service.delete_api_key(session, user_id=user.id)
    return True


@router.get("/admin/details", response_model=AdminDetails, responses=refusals(403, 404))
async def admin_details(
    session: SessionDep, runtime: RuntimeDep, _user: VerifiedUser
) -> AdminDetails:
    """Whom to contact: the primary admin's name and e-mail, where the operator publishes them
    (``OPENGROUPS_SHOW_ADMIN_DETAILS``; 403 otherwise)."""
    return await service.admin_details(session, settings=runtime.settings)


@router.get("/admin/config", response_model=AdminConfig)
async def get_admin_config(
    session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> AdminConfig:
    """The settings an admin may change at runtime (sign-up, the default role and group), and
    Open WebUI's other config keys as this service answers them (admins only)."""
    return await admin_config.get_admin_config(session, settings=runtime.settings)


@router.post("/admin/config", response_model=AdminConfig, responses=refusals(404))
async def update_admin_config(
    form: AdminConfigForm, session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> AdminConfig:
    """Change ``ENABLE_SIGNUP``, ``DEFAULT_USER_ROLE`` or ``DEFAULT_GROUP_ID`` (admins only);
    keys left out or null stay, other keys of Open WebUI's form are ignored. 404 when the
    default group does not exist. Answers the whole config."""
    return await admin_config.update_admin_config(session, form=form, settings=runtime.settings)
