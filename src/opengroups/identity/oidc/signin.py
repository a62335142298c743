"""Signing in through an OpenID provider: the authorization code flow with PKCE (OpenID Connect
Core 1.0 §3.1, RFC 7636), then the account and its groups.

``start`` sends the browser to the provider with a fresh ``state``, ``nonce`` and PKCE
verifier, kept in a signed cookie that lives ten minutes (no server-side state, so any process
can take the callback). ``finish`` checks the cookie against the callback, exchanges the code
(with the verifier) for tokens, verifies the ID token (``provider.verified_claims``) and reads
the groups claim.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt as pyjwt
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.caching import Caches
from opengroups.config import Settings
from opengroups.errors import OpenGroupsError
from opengroups.identity import sync
from opengroups.identity.accounts import account_for
from opengroups.identity.config import OidcProvider
from opengroups.identity.oidc import provider as oidc
from opengroups.models import User
from opengroups.permissions.policy import Authz

COOKIE = "opengroups_oidc"
STATE_SECONDS = 600
_ALGORITHM = "HS256"


class SigninRefused(OpenGroupsError):
    """A callback that does not belong to a sign-in this service started, or that the
    provider refused (400)."""


def source_of(provider: OidcProvider) -> str:
    """The membership source (and identity link provider) of an OpenID provider."""
    return f"oauth:{provider.name}"


@dataclass(frozen=True)
class Started:
    url: str
    cookie: str


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def start(
    caches: Caches, provider: OidcProvider, *, redirect_uri: str, next_path: str, secret: str
) -> Started:
    found = await oidc.metadata(caches, provider)
    state, nonce, verifier = (secrets.token_urlsafe(32) for _ in range(3))
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(provider.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    joiner = "&" if "?" in found.authorization_endpoint else "?"
    cookie = pyjwt.encode(
        {
            "provider": provider.name,
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "next": next_path,
            "exp": int(time.time()) + STATE_SECONDS,
        },
        secret,
        algorithm=_ALGORITHM,
    )
    return Started(found.authorization_endpoint + joiner + query, cookie)


@dataclass(frozen=True)
class Identity:
    """What the provider vouched for: the ID token's claims (and UserInfo's, when the groups
    come from there), the groups claim's values (None: no such claim), where to go next."""

    claims: dict[str, Any]
    groups: list[str] | None
    next_path: str


def _pending(
    cookie: str | None, *, provider: OidcProvider, state: str, secret: str
) -> dict[str, Any]:
    if cookie is None:
        raise SigninRefused("This sign-in was not started here, or took too long. Start again.")
    try:
        pending: dict[str, Any] = pyjwt.decode(cookie, secret, algorithms=[_ALGORITHM])
    except pyjwt.PyJWTError:
        raise SigninRefused("This sign-in expired or was tampered with. Start again.") from None
    if pending.get("provider") != provider.name or not secrets.compare_digest(
        str(pending.get("state", "")), state
    ):
        raise SigninRefused("This callback does not belong to the sign-in started here.")
    return pending


async def _tokens(
    found: oidc.Metadata, provider: OidcProvider, *, code: str, verifier: str, redirect_uri: str
) -> dict[str, Any]:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": provider.client_id,
    }
    secret = provider.secret()
    try:
        async with httpx.AsyncClient(timeout=oidc.HTTP_TIMEOUT_SECONDS) as http:
            if secret:  # client_secret_basic, the default of OpenID Connect
                auth = httpx.BasicAuth(provider.client_id, secret)
                response = await http.post(found.token_endpoint, data=data, auth=auth)
            else:
                response = await http.post(found.token_endpoint, data=data)
            body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise oidc.ProviderUnavailable("The provider's token endpoint could not be used.") from exc
    if response.status_code != 200 or not isinstance(body, dict) or "id_token" not in body:
        problem = (
            body.get("error_description") or body.get("error") if isinstance(body, dict) else None
        )
        raise SigninRefused(f"The provider refused the sign-in: {problem or response.status_code}.")
    return body


def group_values(claims: dict[str, Any], provider: OidcProvider) -> list[str] | None:
    """The groups claim as a list of values (None when the claim is absent)."""
    if provider.groups_claim is None or provider.groups_claim not in claims:
        return None
    raw = claims[provider.groups_claim]
    if raw is None:
        return None
    if isinstance(raw, str):
        parts = raw.split(provider.groups_separator) if provider.groups_separator else [raw]
        return [part.strip() for part in parts if part.strip()]
    if isinstance(raw, list):
        return [str(item) for item in raw if isinstance(item, str | int) and str(item).strip()]
    raise SigninRefused(f"The claim {provider.groups_claim!r} is neither a list nor a string.")


async def finish(
    caches: Caches,
    provider: OidcProvider,
    *,
    code: str,
    state: str,
    cookie: str | None,
    redirect_uri: str,
    secret: str,
) -> Identity:
    pending = _pending(cookie, provider=provider, state=state, secret=secret)
    found = await oidc.metadata(caches, provider)
    tokens = await _tokens(
        found, provider, code=code, verifier=str(pending["verifier"]), redirect_uri=redirect_uri
    )
    claims = await oidc.verified_claims(
        caches, provider, found, str(tokens["id_token"]), nonce=str(pending["nonce"])
    )
    if provider.groups_from == "userinfo" and isinstance(tokens.get("access_token"), str):
        info = await oidc.userinfo(found, tokens["access_token"])
        if info.get("sub") != claims["sub"]:
            raise SigninRefused("The provider's UserInfo is about someone else.")
        claims = {**claims, **info}
    return Identity(claims, group_values(claims, provider), str(pending.get("next") or ""))


async def sign_in(
    session: AsyncSession,
    authz: Authz,
    provider: OidcProvider,
    identity: Identity,
    *,
    settings: Settings,
) -> User:
    """The account of a verified identity, its groups synced from the claim (source
    ``oauth:<provider>``; nothing else touched). Raises as ``accounts.account_for``."""
    claims = identity.claims
    source = source_of(provider)
    user = await account_for(
        session,
        provider=source,
        subject=str(claims["sub"]),
        email=claims.get("email"),
        name=claims.get("name") or claims.get("preferred_username"),
        email_verified=claims.get("email_verified") is True,
        match_email=provider.match_verified_email,
        create=provider.create_users,
        settings=settings,
    )
    if provider.groups_claim is not None:
        resolved = None
        group_ids = None
        if identity.groups:
            resolved = await sync.resolve(
                session, authz, identity.groups, provider.groups, settings=settings
            )
            group_ids = resolved.group_ids
        changes = await sync.sync_user(
            session,
            user_id=user.id,
            source=source,
            group_ids=group_ids,
            authoritative=provider.groups.authoritative,
        )
        sync.record_sync(
            session,
            source=source,
            reason="sign-in" if identity.groups else "sign-in without groups",
            user_id=user.id,
            changes=changes,
            resolved=resolved,
        )
    return user
