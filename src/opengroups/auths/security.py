"""Sign-in tokens (JWT) and API keys. (Password hashing is ``kit.passwords``.)"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import jwt

API_KEY_PREFIX = "sk-"
JWT_ALGORITHM = "HS256"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: int


def issue_token(user_id: str, *, secret: str, expires_in: int, version: int = 0) -> IssuedToken:
    """A signed JWT carrying the user id (claim ``id``, as Open WebUI's) and the user's token
    version (``ver``): raising the version ends every token issued before."""
    now = int(time.time())
    expires_at = now + expires_in
    claims = {"id": user_id, "ver": version, "iat": now, "exp": expires_at}
    return IssuedToken(token=jwt.encode(claims, secret, JWT_ALGORITHM), expires_at=expires_at)


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    expires_at: int
    # Tokens issued before versions existed carry none: they count as version 0.
    version: int


def decode_token(token: str, *, secret: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token; None for anything else."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp"]}
        )
    except jwt.PyJWTError:
        return None
    user_id, expires_at = payload.get("id"), payload.get("exp")
    version = payload.get("ver", 0)
    if not isinstance(user_id, str) or not isinstance(expires_at, int | float):
        return None
    if not isinstance(version, int) or isinstance(version, bool):
        return None
    return TokenClaims(user_id, int(expires_at), version)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_hex(24)


def hash_api_key(api_key: str) -> str:
    """SHA-256 of the key: keys are long random strings, so a fast deterministic hash is safe."""
    return hashlib.sha256(api_key.encode()).hexdigest()
