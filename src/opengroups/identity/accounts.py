"""The account behind an identity a provider vouches for: found by the provider's link first,
then (where the operator allows it) by a verified e-mail, else created just in time."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.config import Settings
from opengroups.errors import Conflict, InvalidInput, NotPermitted
from opengroups.identity import repository
from opengroups.models import User
from opengroups.schemas_common import MAX_NAME_LENGTH, Email
from opengroups.users import repository as users_repository
from opengroups.users import service as users_service

_EMAIL = TypeAdapter(Email)


class AccountInactive(NotPermitted):
    def __init__(self) -> None:
        super().__init__("This account is deactivated. Please contact your administrator.")


async def account_for(
    session: AsyncSession,
    *,
    provider: str,
    subject: str,
    email: str | None,
    name: str | None,
    email_verified: bool,
    match_email: bool,
    create: bool,
    settings: Settings,
) -> User:
    """The account ``provider`` knows as ``subject``. A new account gets
    ``OPENGROUPS_DEFAULT_USER_ROLE`` and the default group (``register_user``), no password,
    and its permissions from the defaults. Raises ``NotPermitted`` (no account and creation
    off, or the account is deactivated), ``Conflict`` (an account has the e-mail and matching
    by e-mail is off), ``InvalidInput`` (no usable e-mail to create one with)."""
    linked = await repository.link(session, provider=provider, subject=subject)
    if linked is not None:
        await repository.seen(session, provider=provider, subject=subject)
        return _active(await users_service.require_user(session, linked.user_id))
    address = usable_email(email)
    user: User | None = None
    if match_email and address is not None and email_verified:
        user = await users_repository.get_user_by_email(session, address)
    created = user is None
    if user is None:
        if not create:
            raise NotPermitted("No account here matches this sign-in. Ask an administrator.")
        if address is None:
            raise InvalidInput("The identity provider gave no usable e-mail address.")
        if await users_repository.get_user_by_email(session, address) is not None:
            raise Conflict(
                f"An account with the e-mail {address} exists but is not linked to this "
                "provider. Ask an administrator (match_verified_email)."
            )
        user = await users_service.register_user(
            session,
            name=(name or address).strip()[:MAX_NAME_LENGTH] or address,
            email=address,
            role=settings.default_user_role,
            password_hash=None,
            settings=settings,
        )
    await repository.add_links(session, provider=provider, links=[(subject, user.id, created)])
    return _active(user)


def usable_email(email: str | None) -> str | None:
    """The address as opengroups stores e-mails, or None when it is missing or not one."""
    if not email:
        return None
    try:
        return _EMAIL.validate_python(email)
    except ValidationError:
        return None


def _active(user: User) -> User:
    if not user.active:
        raise AccountInactive()
    return user
