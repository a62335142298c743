"""Sign-up, sign-in, admin-created accounts, API keys, and turning a credential into a user."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.auths.cache import AuthCache, detached, snapshot
from opengroups.auths.schemas import AddUserForm, SessionUserResponse, SigninForm, SignupForm
from opengroups.auths.security import (
    API_KEY_PREFIX,
    decode_token,
    hash_api_key,
    issue_token,
    new_api_key,
    verify_password,
)
from opengroups.authz import revision as revisions
from opengroups.authz import service as authz_service
from opengroups.authz.context import Authz
from opengroups.config import Settings
from opengroups.errors import NotAuthenticated, NotPermitted, OpenGroupsError
from opengroups.models import User
from opengroups.users import repository as users_repository
from opengroups.users import service as users_service


class InvalidCredentials(OpenGroupsError):
    # 400, as Open WebUI answers a failed sign-in.
    status_code = 400

    def __init__(self) -> None:
        super().__init__("The e-mail or password is incorrect.")


async def permissions_of(session: AsyncSession, authz: Authz, user: User) -> dict[str, Any] | None:
    """The effective permission tree; none for pending accounts, which may do nothing."""
    if user.role == "pending":
        return None
    return (await authz_service.effective_permissions(session, authz, user_id=user.id)).tree


def session_response(
    user: User, *, token: str, expires_at: int | None, permissions: dict[str, Any] | None
) -> SessionUserResponse:
    return SessionUserResponse(
        token=token,
        expires_at=expires_at,
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        profile_image_url=user.profile_image_url,
        permissions=permissions,
    )


async def _session_for(
    session: AsyncSession, authz: Authz, user: User, settings: Settings
) -> SessionUserResponse:
    issued = issue_token(
        user.id, secret=settings.resolved_secret_key(), expires_in=settings.jwt_expires_in
    )
    permissions = await permissions_of(session, authz, user)
    return session_response(
        user, token=issued.token, expires_at=issued.expires_at, permissions=permissions
    )


async def signup(
    session: AsyncSession, authz: Authz, *, form: SignupForm, settings: Settings
) -> SessionUserResponse:
    """Create an account. The very first account becomes admin; later ones get the configured
    default role, and sign-up may be switched off (403). Raises ``EmailTaken``."""
    await users_repository.lock_registration(session)  # two "first" sign-ups: one admin
    first = not await users_repository.has_any_user(session)
    config = await appconfig.get_admin_config(session, settings=settings)
    if not first and not config.ENABLE_SIGNUP:
        raise NotPermitted("Sign-up is disabled on this instance. Ask an administrator.")
    user = await users_service.register_user(
        session,
        name=form.name,
        email=form.email,
        role="admin" if first else config.DEFAULT_USER_ROLE,
        password=form.password,
        profile_image_url=form.profile_image_url,
        settings=settings,
    )
    return await _session_for(session, authz, user, settings)


async def signin(
    session: AsyncSession, authz: Authz, *, form: SigninForm, settings: Settings
) -> SessionUserResponse:
    user = await users_repository.get_user_by_email(session, form.email)
    if not verify_password(user.password_hash if user else None, form.password) or user is None:
        raise InvalidCredentials()
    return await _session_for(session, authz, user, settings)


async def add_user(
    session: AsyncSession, authz: Authz, *, form: AddUserForm, settings: Settings
) -> SessionUserResponse:
    """An admin creates an account (role ``pending`` unless given); the default group applies."""
    user = await users_service.register_user(
        session,
        name=form.name,
        email=form.email,
        role=form.role,
        password=form.password,
        profile_image_url=form.profile_image_url,
        settings=settings,
    )
    return await _session_for(session, authz, user, settings)


async def authenticate(
    session: AsyncSession, cache: AuthCache, *, credential: str, settings: Settings
) -> User:
    """The user behind a bearer credential (JWT or API key), from ``cache`` when it is still
    exact, as a detached instance (``auths.cache.detached``): read it, and load the row for
    update to change it. Raises ``NotAuthenticated``."""
    observed = await revisions.observed_revision(session)
    user_id: str | None
    if credential.startswith(API_KEY_PREFIX):
        key_hash = hash_api_key(credential)
        user_id = cache.api_keys.get(key_hash, observed)
        if user_id is None:
            revision = await revisions.revision_for_caching(session, observed)
            found = await users_repository.get_user_by_api_key_hash(session, key_hash)
            if found is not None:
                loaded = snapshot(found)
                cache.api_keys.put(key_hash, revision, found.id)
                cache.users.put(found.id, revision, loaded)
                return detached(loaded)
    else:
        user_id = cache.tokens.get(credential)
        if user_id is None:
            decoded = decode_token(credential, secret=settings.resolved_secret_key())
            if decoded is not None:
                user_id = decoded[0]
                cache.tokens.put(credential, *decoded)
    if user_id is None:
        raise NotAuthenticated("Your token is invalid or has expired. Please sign in again.")
    values = cache.users.get(user_id, observed)
    if values is None:
        revision = await revisions.revision_for_caching(session, observed)
        user = await users_repository.get_user(session, user_id)
        if user is None:  # deleted since the token was issued; never cached, may come back
            raise NotAuthenticated("Your token is invalid or has expired. Please sign in again.")
        values = snapshot(user)
        cache.users.put(user_id, revision, values)
    return detached(values)


API_KEYS_PERMISSION = "features.api_keys"


async def create_api_key(session: AsyncSession, authz: Authz | None, *, user_id: str) -> str:
    """A new API key for the user, replacing any previous one. Only its hash is stored.

    With ``authz`` (requests), a non-admin needs ``features.api_keys`` when the catalog has it:
    ``NotPermitted`` otherwise. The CLI passes none: an operator at the console decides.
    Raises ``UserNotFound``.
    """
    user = await users_service.lock_user(session, user_id, if_match=None)
    if authz is not None and user.role != "admin" and API_KEYS_PERMISSION in authz.catalog.defaults:
        granted = (
            await authz_service.effective_permissions(session, authz, user_id=user.id)
        ).granted
        if API_KEYS_PERMISSION not in granted:
            raise NotPermitted("You may not create API keys (features.api_keys is off).")
    key = new_api_key()
    user.api_key_hash = hash_api_key(key)
    await users_service.user_changed(session, user)
    await session.flush()
    recorder.record(
        session, action="user.api_key.create", resource_type="user", resource_id=user.id
    )
    return key


async def delete_api_key(session: AsyncSession, *, user_id: str) -> None:
    """Remove the user's API key, if any. Raises ``UserNotFound``."""
    user = await users_service.lock_user(session, user_id, if_match=None)
    if user.api_key_hash is None:
        return
    user.api_key_hash = None
    await users_service.user_changed(session, user)
    await session.flush()
    recorder.record(
        session, action="user.api_key.delete", resource_type="user", resource_id=user.id
    )
