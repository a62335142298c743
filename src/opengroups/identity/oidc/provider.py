"""What an OpenID provider publishes (discovery, its key set) and the checks of the ID tokens
it signs, with joserfc.

Both documents are kept in ``Caches.provider_documents`` for an hour. A token whose key id the
cached key set lacks has the set fetched again, at most once a minute: providers rotate keys,
and a forged key id must not make every sign-in fetch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

from opengroups.caching import Caches
from opengroups.errors import OpenGroupsError
from opengroups.identity.config import OidcProvider

DOCUMENT_SECONDS = 3600
REFETCH_SECONDS = 60
HTTP_TIMEOUT_SECONDS = 10
# Clocks of provider and service may differ this much.
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]


class ProviderUnavailable(OpenGroupsError):
    """The provider could not be reached or answered something unusable (502)."""

    status_code = 502


class InvalidIdToken(OpenGroupsError):
    """An ID token that does not verify: signature, issuer, audience, expiry or nonce (401)."""

    status_code = 401


@dataclass(frozen=True)
class Metadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None


async def _fetch(url: str) -> dict[str, Any]:
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
            response = await http.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable(f"The identity provider could not be read at {url}.") from exc
    if not isinstance(body, dict):
        raise ProviderUnavailable(f"The identity provider answered no JSON object at {url}.")
    return body


async def _document(caches: Caches, url: str, *, fresh: bool = False) -> dict[str, Any]:
    cached = None if fresh else caches.provider_documents.value(url)
    if cached is not None:
        return cached
    body = {**await _fetch(url), "_fetched_at": time.time()}
    caches.provider_documents.put(url, (body, int(time.time()) + DOCUMENT_SECONDS))
    return body


async def metadata(caches: Caches, provider: OidcProvider) -> Metadata:
    """The provider's discovery document (OpenID Connect Discovery 1.0)."""
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = await _document(caches, url)
    try:
        found = Metadata(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
            userinfo_endpoint=document.get("userinfo_endpoint"),
        )
    except KeyError as exc:
        raise ProviderUnavailable(f"The provider's discovery document lacks {exc}.") from exc
    if found.issuer.rstrip("/") != provider.issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"The provider calls itself {found.issuer!r}, not the configured {provider.issuer!r}."
        )
    return found


async def _keys(caches: Caches, jwks_uri: str, kid: str | None) -> KeySet:
    document = await _document(caches, jwks_uri)
    known = {key.get("kid") for key in document.get("keys", []) if isinstance(key, dict)}
    stale = time.time() - float(document.get("_fetched_at", 0)) >= REFETCH_SECONDS
    if kid is not None and kid not in known and stale:
        document = await _document(caches, jwks_uri, fresh=True)
    try:
        return KeySet.import_key_set({"keys": document.get("keys", [])})
    except (JoseError, ValueError, TypeError) as exc:
        raise ProviderUnavailable("The provider's key set cannot be read.") from exc


async def verified_claims(
    caches: Caches,
    provider: OidcProvider,
    found: Metadata,
    id_token: str,
    *,
    nonce: str,
    now: int | None = None,
) -> dict[str, Any]:
    """The claims of an ID token once its signature (by the provider's published keys), issuer,
    audience, expiry and nonce are checked (OpenID Connect Core 1.0 §3.1.3.7). Raises
    ``InvalidIdToken``."""
    try:
        kid = jws.extract_compact(id_token.encode()).headers().get("kid")
    except (JoseError, ValueError):
        raise InvalidIdToken("The ID token is not a signed JWT.") from None
    keys = await _keys(caches, found.jwks_uri, kid)
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
        JWTClaimsRegistry(
            now=now,
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": found.issuer},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except JoseError as exc:
        problem = exc.description or exc.error
        raise InvalidIdToken(f"The ID token does not verify: {problem}.") from exc
    claims: dict[str, Any] = token.claims
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if provider.client_id not in audiences:
        raise InvalidIdToken("The ID token was issued for another client.")
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise InvalidIdToken("The ID token was issued for another client (azp).")
    return claims


async def userinfo(found: Metadata, access_token: str) -> dict[str, Any]:
    """The UserInfo endpoint's claims for the access token."""
    if found.userinfo_endpoint is None:
        raise ProviderUnavailable("The provider has no UserInfo endpoint.")
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
            response = await http.get(
                found.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}
            )
            response.raise_for_status()
            body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ProviderUnavailable("The provider's UserInfo endpoint could not be read.") from exc
    if not isinstance(body, dict):
        raise ProviderUnavailable("The provider's UserInfo endpoint answered no JSON object.")
    return body
