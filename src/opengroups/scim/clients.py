"""Provisioning clients: the identity providers allowed to speak SCIM to this service.

A client's bearer token is shown once, at creation, and stored as a SHA-256 hash (a long random
string needs no slow hash); revoking a client refuses its token from the next request on.
Memberships a client provisions carry the source ``scim:<client id>``
(``membership_source``), so one client never removes what an admin, the default group or
another client gave.
"""

from __future__ import annotations

import secrets

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.auths import throttle
from opengroups.auths.security import hash_api_key
from opengroups.config import Settings
from opengroups.errors import NotAuthenticated, NotFound
from opengroups.kit.db import Database
from opengroups.models import ScimClient, now_epoch
from opengroups.scim import repository
from opengroups.scim.schemas import ScimClientCreated, ScimClientResponse

TOKEN_PREFIX = "scim_"
# The client's last use is written at most this often (a write per SCIM request would make
# every read a write).
LAST_USED_RESOLUTION_SECONDS = 60


def membership_source(client_id: str) -> str:
    """The membership source of the memberships one client provisions."""
    return f"scim:{client_id}"


def actor_id(client_id: str) -> str:
    """How the audit trail names a client acting."""
    return f"scim-client:{client_id}"


class ScimClientNotFound(NotFound):
    def __init__(self, client_id: str) -> None:
        super().__init__(f"SCIM client '{client_id}' not found.")


async def create_client(
    session: AsyncSession, *, name: str, created_by: str | None
) -> ScimClientCreated:
    """A new client and its token (``created_by``: the admin, or none for the console)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    client = ScimClient(name=name, token_hash=hash_api_key(token), created_by=created_by)
    session.add(client)
    await session.flush()
    recorder.record(
        session,
        action="scim_client.create",
        resource_type="scim_client",
        resource_id=client.id,
        after={"name": name},
    )
    return ScimClientCreated.model_validate({**_response(client).model_dump(), "token": token})


def _response(client: ScimClient) -> ScimClientResponse:
    return ScimClientResponse.model_validate(client)


async def list_clients(session: AsyncSession) -> list[ScimClientResponse]:
    return [_response(client) for client in await repository.clients(session)]


async def revoke_client(session: AsyncSession, *, client_id: str) -> ScimClientResponse:
    """Refuse the client's token from now on (kept, so the audit trail still names it; its
    memberships stay until an admin removes them)."""
    client = await repository.client_for_update(session, client_id)
    if client is None:
        raise ScimClientNotFound(client_id)
    if client.revoked_at is None:
        client.revoked_at = now_epoch()
        recorder.record(
            session,
            action="scim_client.revoke",
            resource_type="scim_client",
            resource_id=client.id,
            before={"name": client.name},
        )
    return _response(client)


async def authenticate(
    database: Database, *, token: str | None, address: str | None, settings: Settings
) -> ScimClient:
    """The client a bearer token belongs to (a detached row). Wrong tokens count against the
    address as failed sign-ins do (``auths.throttle``), in a short transaction of their own
    that stays when the request is refused. Raises ``NotAuthenticated`` and
    ``TooManyAttempts``."""
    limits = throttle.Limits.of(settings)
    attempt = throttle.Attempt(email=None, address=address)
    async with database.session(write=False) as session:
        await throttle.refuse_if_throttled(session, attempt, limits)
        client = None
        if token is not None and token.startswith(TOKEN_PREFIX):
            client = await repository.client_by_token_hash(session, hash_api_key(token))
    if client is None or client.revoked_at is not None:
        async with database.session() as session:
            await throttle.record_failure(session, attempt, limits)
        raise NotAuthenticated("Invalid or revoked SCIM token.")
    now = now_epoch()
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_RESOLUTION_SECONDS:
        async with database.session() as session:
            await repository.mark_used(session, client.id, now)
    return client
