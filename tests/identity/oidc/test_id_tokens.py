"""ID tokens issued by a real provider, checked as a sign-in checks them: an expired, wrongly
signed, replayed or foreign token is refused."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import RSAKey

from opengroups.caching import Caches
from opengroups.identity.config import OidcProvider
from opengroups.identity.oidc import provider as oidc
from tests.identity.oidc.conftest import provider_config

NONCE = "the-nonce"
CALLBACK = "http://127.0.0.1/callback"


def issued(issuer: str, *, client_id: str = "opengroups") -> str:
    """An ID token the provider issues for a sign-in with ``NONCE``."""
    httpx.put(f"{issuer}/users/ida", json={"email": "ida@example.com"}).raise_for_status()
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": "s",
            "nonce": NONCE,
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
    )
    authorized = httpx.post(f"{issuer}/oauth2/authorize?{query}", data={"sub": "ida"})
    code = parse_qs(urlsplit(authorized.headers["location"]).query)["code"][0]
    tokens = httpx.post(
        f"{issuer}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
            "client_id": client_id,
        },
        auth=(client_id, "secret"),
    )
    tokens.raise_for_status()
    token: str = tokens.json()["id_token"]
    return token


@pytest.fixture
def provider(issuer: str) -> OidcProvider:
    return OidcProvider.model_validate(provider_config(issuer))


async def check(
    provider: OidcProvider, token: str, *, nonce: str = NONCE, now: int | None = None
) -> dict[str, object]:
    caches = Caches()
    found = await oidc.metadata(caches, provider)
    return await oidc.verified_claims(caches, provider, found, token, nonce=nonce, now=now)


def payload(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return data


async def test_a_valid_token_gives_its_claims(provider: OidcProvider, issuer: str) -> None:
    claims = await check(provider, issued(issuer))
    assert claims["sub"] == "ida"
    assert claims["email"] == "ida@example.com"


async def test_an_expired_token_is_refused(provider: OidcProvider, issuer: str) -> None:
    token = issued(issuer)
    expires = int(str(payload(token)["exp"]))
    with pytest.raises(oidc.InvalidIdToken, match=r"expired|exp"):
        await check(provider, token, now=expires + oidc.LEEWAY_SECONDS + 1)


async def test_a_token_signed_by_another_key_is_refused(
    provider: OidcProvider, issuer: str
) -> None:
    token = issued(issuer)
    header = jws.extract_compact(token.encode()).headers()
    forger = RSAKey.generate_key(2048, parameters={"kid": header.get("kid", "k")})
    forged = jws.serialize_compact(header, json.dumps(payload(token)).encode(), forger)
    with pytest.raises(oidc.InvalidIdToken):
        await check(provider, forged)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(oidc.InvalidIdToken):
        await check(provider, tampered)
    with pytest.raises(oidc.InvalidIdToken, match="not a signed JWT"):
        await check(provider, "not-a-token")


async def test_a_replayed_or_foreign_token_is_refused(provider: OidcProvider, issuer: str) -> None:
    with pytest.raises(oidc.InvalidIdToken, match="nonce"):
        await check(provider, issued(issuer), nonce="another-sign-in")
    with pytest.raises(oidc.InvalidIdToken, match="another client"):
        await check(provider, issued(issuer, client_id="someone-else"))
