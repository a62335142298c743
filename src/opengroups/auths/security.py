"""Password hashing (argon2id), JWT tokens and API keys."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

API_KEY_PREFIX = "sk-"
JWT_ALGORITHM = "HS256"


class _Passwords:
    """argon2id hashing with the configured cost (the library's recommended one by default)."""

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self.hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        # Verifying against this keeps sign-in time the same whether or not the e-mail exists.
        self.dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))


_passwords = _Passwords()


def configure_password_hashing(*, time_cost: int, memory_kib: int) -> None:
    """Set the argon2 cost for new hashes (existing hashes verify whatever their cost)."""
    global _passwords
    hasher = _passwords.hasher
    if (hasher.time_cost, hasher.memory_cost) != (time_cost, memory_kib):
        _passwords = _Passwords(time_cost=time_cost, memory_kib=memory_kib)


def hash_password(password: str) -> str:
    return _passwords.hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still costs one verification."""
    try:
        verified = _passwords.hasher.verify(password_hash or _passwords.dummy_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    return verified and password_hash is not None


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: int


def issue_token(user_id: str, *, secret: str, expires_in: int) -> IssuedToken:
    """A signed JWT carrying the user id (claim ``id``, as Open WebUI's)."""
    now = int(time.time())
    expires_at = now + expires_in
    token = jwt.encode({"id": user_id, "iat": now, "exp": expires_at}, secret, JWT_ALGORITHM)
    return IssuedToken(token=token, expires_at=expires_at)


def decode_token(token: str, *, secret: str) -> tuple[str, int] | None:
    """The user id and expiry (epoch seconds) of a valid, unexpired token; None for anything
    else."""
    try:
        payload = jwt.decode(
            token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp"]}
        )
    except jwt.PyJWTError:
        return None
    user_id, expires_at = payload.get("id"), payload.get("exp")
    if not isinstance(user_id, str) or not isinstance(expires_at, int | float):
        return None
    return user_id, int(expires_at)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_hex(24)


def hash_api_key(api_key: str) -> str:
    """SHA-256 of the key: keys are long random strings, so a fast deterministic hash is safe."""
    return hashlib.sha256(api_key.encode()).hexdigest()
