"""Sign-up, sign-in, admin-created accounts, API keys, and turning a credential into a user."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.auths import throttle
from opengroups.auths.admin_config import get_admin_config
from opengroups.auths.schemas import (
    AddUserForm,
    AdminDetails,
    SessionUserResponse,
    SigninForm,
    SignupForm,
    UpdatePasswordForm,
)
from opengroups.auths.security import (
    API_KEY_PREFIX,
    decode_token,
    hash_api_key,
    issue_token,
    new_api_key,
)
from opengroups.authz import service as authz_service
from opengroups.caching import Caches
from opengroups.config import Settings
from opengroups.errors import NotAuthenticated, NotFound, NotPermitted, OpenGroupsError
from opengroups.kit.context import Actor, context_of
from opengroups.kit.db import Database
from opengroups.kit.passwords import Passwords
from opengroups.models import User
from opengroups.permissions import Authz
from opengroups.schemas_common import PROFILE_FIELDS
from opengroups.users import cache as users_cache
from opengroups.users import repository as users_repository
from opengroups.users import service as users_service
from opengroups.users.schemas import UserUpdateForm

API_KEYS_PERMISSION = "features.api_keys"


class InvalidCredentials(OpenGroupsError):
    # 400, as Open WebUI answers a failed sign-in.
    status_code = 400

    def __init__(self) -> None:
        super().__init__("The e-mail or password is incorrect.")


def _invalid_token() -> NotAuthenticated:
    return NotAuthenticated("Your token is invalid or has expired. Please sign in again.")


async def permissions_of(
    session: AsyncSession, authz: Authz, caches: Caches, user: User
) -> dict[str, Any] | None:
    """The effective permission tree; none for pending accounts, which may do nothing."""
    if authz.standing(user.role) == "nothing":
        return None
    value = await authz_service.effective_permissions(session, authz, caches, user_id=user.id)
    return value.tree


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
        **{field: getattr(user, field) for field in PROFILE_FIELDS},
    )


async def _session_for(
    session: AsyncSession, authz: Authz, caches: Caches, user: User, settings: Settings
) -> SessionUserResponse:
    issued = issue_token(
        user.id,
        secret=settings.resolved_secret_key(),
        expires_in=settings.jwt_expires_in,
        version=user.token_version,
    )
    permissions = await permissions_of(session, authz, caches, user)
    return session_response(
        user, token=issued.token, expires_at=issued.expires_at, permissions=permissions
    )


async def issue_session(
    session: AsyncSession, authz: Authz, caches: Caches, user: User, settings: Settings
) -> SessionUserResponse:
    """A new token for a user another sign-in checked (an identity provider's), answered as
    the password sign-in answers."""
    return await _session_for(session, authz, caches, user, settings)


async def signup(
    session: AsyncSession,
    authz: Authz,
    caches: Caches,
    passwords: Passwords,
    *,
    form: SignupForm,
    settings: Settings,
) -> SessionUserResponse:
    """Create an account. The first account while there is no admin becomes admin (an
    instance whose only accounts came from an import, pending and without passwords, would
    otherwise have nobody to let anyone in); later ones get the configured default role, and
    sign-up may be switched off (403). Raises ``EmailTaken``, ``InvalidInput`` (a password the
    policy refuses)."""
    password_hash = await passwords.hash_new(form.password, email=form.email)  # before any lock
    await users_repository.lock_registration(session)  # two "first" sign-ups: one admin
    first = await users_repository.primary_admin_id(session) is None
    config = await get_admin_config(session, settings=settings)
    if not first and not config.ENABLE_SIGNUP:
        raise NotPermitted("Sign-up is disabled on this instance. Ask an administrator.")
    user = await users_service.register_user(
        session,
        name=form.name,
        email=form.email,
        role="admin" if first else config.DEFAULT_USER_ROLE,
        password_hash=password_hash,
        profile_image_url=form.profile_image_url,
        settings=settings,
    )
    return await _session_for(session, authz, caches, user, settings)


class AccountInactive(OpenGroupsError):
    """Right credentials of an account its identity provider deactivated (SCIM ``active``)."""

    status_code = 403

    def __init__(self) -> None:
        super().__init__("This account is deactivated. Please contact your administrator.")


class WrongPassword(OpenGroupsError):
    # 400, as Open WebUI answers a wrong current password.
    status_code = 400

    def __init__(self) -> None:
        super().__init__("The current password is incorrect.")


async def change_password(
    session: AsyncSession, passwords: Passwords, *, user: User, form: UpdatePasswordForm
) -> None:
    """A user's change of their own password, given the current one. Every session of the
    user ends, the caller's included (``users.service.update_user``). Raises ``WrongPassword``,
    ``InvalidInput`` (a new password the policy refuses)."""
    if not await passwords.verify(user.password_hash, form.password):
        raise WrongPassword
    await users_service.update_user(
        session,
        passwords,
        actor=user,
        user_id=user.id,
        form=UserUpdateForm(password=form.new_password),
    )


async def checked_credentials(
    database: Database, passwords: Passwords, *, form: SigninForm, settings: Settings, actor: Actor
) -> User:
    """The user with this e-mail and password, held to the sign-in throttle (``throttle``).

    Checking the throttle and the password is a read; the password is verified in a worker
    thread; the outcome (a failure counted, or the account's failures forgotten) and its audit
    event are written in a short transaction of their own afterwards, which stays even when the
    sign-in is refused. Raises ``TooManyAttempts`` (429), ``InvalidCredentials`` (the same
    for an unknown e-mail, which costs one verification too) and ``AccountInactive`` (the right
    password of a deactivated account).
    """
    limits = throttle.Limits.of(settings)
    attempt = throttle.Attempt(email=form.email, address=actor.address)
    async with passwords.checking():
        async with database.session(write=False) as session:
            await throttle.refuse_if_throttled(session, attempt, limits)
            user = await users_repository.get_user_by_email(session, form.email)
        verified = await passwords.verify(user.password_hash if user else None, form.password)
        async with database.session() as session:
            context_of(session).act_as(
                user_id=user.id if verified and user else None,
                address=actor.address,
                request_id=actor.request_id,
            )
            inactive = verified and user is not None and not user.active
            if inactive:  # recorded in this transaction, refused once it is committed
                _record_signin(session, "auth.signin.inactive", form.email)
            elif verified and user is not None:
                await throttle.forget_account(session, attempt)
                _record_signin(session, "auth.signin", form.email)
                return user
            else:
                await _record_failure(session, attempt, limits, form.email)
    raise AccountInactive() if inactive else InvalidCredentials()


async def _record_failure(
    session: AsyncSession, attempt: throttle.Attempt, limits: throttle.Limits, email: str
) -> None:
    locked = await throttle.record_failure(session, attempt, limits)
    _record_signin(session, "auth.signin.failure", email)
    if locked:
        _record_signin(session, "auth.signin.locked", email)


def _record_signin(session: AsyncSession, action: str, email: str) -> None:
    """Audit a sign-in outcome, by the e-mail tried (never the password). Not an event about a
    user: it changes nothing anyone has cached."""
    recorder.record(session, action=action, resource_type="auth", resource_id=email)


async def record_failed_signin(
    session: AsyncSession, attempt: throttle.Attempt, limits: throttle.Limits, login: str
) -> None:
    """Count and audit a sign-in another check refused (an LDAP bind), as a wrong password
    is counted: the same throttle holds whichever way one signs in."""
    await _record_failure(session, attempt, limits, login)


def record_signin(session: AsyncSession, login: str, *, inactive: bool = False) -> None:
    """Audit a sign-in another check accepted (``inactive``: of a deactivated account)."""
    _record_signin(session, "auth.signin.inactive" if inactive else "auth.signin", login)


async def signin(
    database: Database,
    authz: Authz,
    caches: Caches,
    passwords: Passwords,
    *,
    form: SigninForm,
    settings: Settings,
    actor: Actor,
) -> SessionUserResponse:
    """Sign in (``checked_credentials``), and answer with a token and the permissions."""
    user = await checked_credentials(database, passwords, form=form, settings=settings, actor=actor)
    async with database.session(write=False) as session:
        return await _session_for(session, authz, caches, user, settings)


async def add_user(
    session: AsyncSession,
    authz: Authz,
    caches: Caches,
    passwords: Passwords,
    *,
    form: AddUserForm,
    settings: Settings,
) -> SessionUserResponse:
    """An admin creates an account (role ``pending`` unless given); the default group applies."""
    password_hash = await passwords.hash_new(form.password, email=form.email)  # before any lock
    user = await users_service.register_user(
        session,
        name=form.name,
        email=form.email,
        role=form.role,
        password_hash=password_hash,
        profile_image_url=form.profile_image_url,
        settings=settings,
    )
    return await _session_for(session, authz, caches, user, settings)


async def authenticate(
    session: AsyncSession, caches: Caches, *, credential: str, settings: Settings
) -> User:
    """The user behind a bearer credential (JWT or API key), from the caches when exact, as a
    detached instance (``users.cache``): read it, and load the row for update to change it.
    Raises ``NotAuthenticated``."""
    if credential.startswith(API_KEY_PREFIX):
        owner = await _by_api_key(session, caches, hash_api_key(credential))
        if not owner.active:  # deactivated by provisioning: the key is kept, and refused
            raise _invalid_token()
        return owner
    verified = caches.tokens.value(credential)
    if verified is None:
        claims = decode_token(credential, secret=settings.resolved_secret_key())
        if claims is None:
            raise _invalid_token()
        verified = (claims.user_id, claims.version)
        caches.tokens.put(credential, (verified, claims.expires_at))
    user_id, version = verified
    user = await users_cache.cached_user(session, caches, user_id)
    # Deleted since the token was issued, or signed out, or given a new password or role, or
    # deactivated (which also ends its sessions; checked so that no token outlives it).
    if user is None or user.token_version != version or not user.active:
        raise _invalid_token()
    return user


def token_expiry(caches: Caches, *, credential: str, settings: Settings) -> int | None:
    """When an authenticated caller's token expires (epoch seconds), as authentication filed
    it; None for an API key, which does not expire."""
    if credential.startswith(API_KEY_PREFIX):
        return None
    entry = caches.tokens.get(credential)
    if entry is not None:
        return entry[1]
    claims = decode_token(credential, secret=settings.resolved_secret_key())
    return None if claims is None else claims.expires_at


async def _by_api_key(session: AsyncSession, caches: Caches, key_hash: str) -> User:
    """The owner of an API key: the cached mapping holds while the (exact) cached user still
    has that key; otherwise the key is looked up again."""
    user_id = caches.api_keys.get(key_hash)
    if user_id is not None:
        user = await users_cache.cached_user(session, caches, user_id)
        if user is not None and user.api_key_hash == key_hash:
            return user
        caches.api_keys.pop(key_hash)
    await caches.observe(session)
    computed_at = await caches.filing_revision(session)
    found = await users_repository.get_user_by_api_key_hash(session, key_hash)
    if found is None:
        raise _invalid_token()
    caches.api_keys.put(key_hash, found.id)
    return users_cache.remember(caches, found, computed_at)


async def create_api_key(
    session: AsyncSession, authz: Authz | None, caches: Caches | None, *, user_id: str
) -> str:
    """A new API key for the user, replacing any previous one. Only its hash is stored.

    With ``authz`` (requests), a non-admin needs ``features.api_keys`` when the catalog has it:
    ``NotPermitted`` otherwise. The CLI passes none: an operator at the console decides.
    Raises ``UserNotFound``.
    """
    user = await users_service.lock_user(session, user_id, if_match=None)
    if (
        authz is not None
        and caches is not None
        and user.role != "admin"
        and API_KEYS_PERMISSION in authz.catalog.defaults
    ):
        value = await authz_service.effective_permissions(session, authz, caches, user_id=user.id)
        if API_KEYS_PERMISSION not in value.granted:
            raise NotPermitted("You may not create API keys (features.api_keys is off).")
    key = new_api_key()
    user.api_key_hash = hash_api_key(key)
    users_service.user_changed(user)
    await session.flush()
    recorder.record(
        session, action="user.api_key.create", resource_type="user", resource_id=user.id
    )
    return key


async def sign_out(session: AsyncSession, *, user_id: str) -> None:
    """End every token and admin session of the user issued so far (API keys are separate
    credentials and stay). Raises ``UserNotFound``."""
    user = await users_service.lock_user(session, user_id, if_match=None)
    users_service.end_sessions(user)
    await session.flush()
    recorder.record(session, action="user.signout", resource_type="user", resource_id=user.id)


async def admin_details(session: AsyncSession, *, settings: Settings) -> AdminDetails:
    """The primary admin's name and e-mail, where the operator publishes them
    (``OPENGROUPS_SHOW_ADMIN_DETAILS``). Raises ``NotPermitted`` otherwise, ``NotFound`` when
    there is no admin yet."""
    if not settings.show_admin_details:
        raise NotPermitted(
            "This instance does not publish its administrator's contact details "
            "(OPENGROUPS_SHOW_ADMIN_DETAILS)."
        )
    admin_id = await users_service.primary_admin_id(session)
    admin = None if admin_id is None else await users_service.require_user(session, admin_id)
    if admin is None:
        raise NotFound("This instance has no administrator yet.")
    return AdminDetails(name=admin.name, email=admin.email)


async def revoke_sessions(session: AsyncSession, *, actor: User, user_id: str) -> None:
    """An admin ends every session of a user (``sign_out`` for them); only the primary admin
    may end the primary admin's. Raises ``UserNotFound``, ``NotPermitted``."""
    await users_service.require_user(session, user_id)
    if user_id != actor.id and user_id == await users_service.primary_admin_id(session):
        raise NotPermitted("Only the primary admin may end the primary admin's sessions.")
    await sign_out(session, user_id=user_id)


async def delete_api_key(session: AsyncSession, *, user_id: str) -> None:
    """Remove the user's API key, if any. Raises ``UserNotFound``."""
    user = await users_service.lock_user(session, user_id, if_match=None)
    if user.api_key_hash is None:
        return
    user.api_key_hash = None
    users_service.user_changed(user)
    await session.flush()
    recorder.record(
        session, action="user.api_key.delete", resource_type="user", resource_id=user.id
    )
