"""Sign-in by a trusted reverse proxy's headers (oauth2-proxy, Authelia, a corporate gateway):
the proxy authenticated the person and says who they are, and optionally their groups.

Believed only from an address in ``OPENGROUPS_TRUSTED_PROXIES`` (the connection's own address,
not a forwarded one), and never when that setting trusts everyone: any client could then claim
to be anyone. The account is matched by e-mail (the proxy vouches for it), else created; the
groups header's values are synced with the source ``header``.
"""

from __future__ import annotations

import ipaddress

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.config import Settings
from opengroups.errors import InvalidInput, NotPermitted
from opengroups.identity import sync
from opengroups.identity.accounts import account_for
from opengroups.identity.config import TrustedHeader
from opengroups.models import User
from opengroups.permissions.policy import Authz

SOURCE = "header"


def from_trusted_proxy(peer: str | None, trusted_proxies: str | None) -> bool:
    """Whether the connection came from one of the configured proxies (addresses or networks,
    comma-separated); ``*`` trusts no one here."""
    if not peer or not trusted_proxies or trusted_proxies.strip() == "*":
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for entry in trusted_proxies.split(","):
        try:
            if address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


async def sign_in(
    session: AsyncSession,
    authz: Authz,
    config: TrustedHeader,
    *,
    peer: str | None,
    email: str | None,
    name: str | None,
    groups: str | None,
    settings: Settings,
) -> User:
    """The account the proxy's headers name, its groups synced. Raises ``NotPermitted`` for a
    request that did not come from a trusted proxy, ``InvalidInput`` without the e-mail."""
    if not from_trusted_proxy(peer, settings.trusted_proxies):
        raise NotPermitted("Header sign-in is accepted only from the configured proxies.")
    if not email or not email.strip():
        raise InvalidInput(f"The {config.email_header} header is missing.")
    user = await account_for(
        session,
        provider=SOURCE,
        subject=email.strip().lower(),
        email=email.strip(),
        name=name,
        email_verified=True,
        match_email=True,
        create=config.create_users,
        settings=settings,
    )
    if config.groups_header is not None:
        values = [v.strip() for v in (groups or "").split(config.groups_separator) if v.strip()]
        resolved = None
        group_ids = None
        if values:
            resolved = await sync.resolve(session, authz, values, config.groups, settings=settings)
            group_ids = resolved.group_ids
        changes = await sync.sync_user(
            session,
            user_id=user.id,
            source=SOURCE,
            group_ids=group_ids,
            authoritative=config.groups.authoritative,
        )
        sync.record_sync(
            session,
            source=SOURCE,
            reason="sign-in",
            user_id=user.id,
            changes=changes,
            resolved=resolved,
        )
    return user
