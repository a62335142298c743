"""Passwords: the policy a new one must meet, and hashing with argon2id at the configured cost."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from opengroups.errors import InvalidInput


class Passwords:
    """argon2id hashing with one cost (the library's recommended one by default), and the policy
    for new passwords. Existing hashes verify whatever cost they were made with."""

    def __init__(self, *, time_cost: int = 3, memory_kib: int = 65536, min_length: int = 8) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self.min_length = min_length
        # Verifying against this keeps sign-in time the same whether or not the e-mail exists.
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def hash_new(self, password: str, *, email: str) -> str:
        """The hash of a password being set for the account ``email``, once it meets the
        policy: at least ``min_length`` characters, not only spaces, not the e-mail address.
        Raises ``InvalidInput`` (422) saying which."""
        if len(password) < self.min_length:
            raise InvalidInput(f"password: must be at least {self.min_length} characters.")
        if not password.strip():
            raise InvalidInput("password: may not be only spaces.")
        if password.strip().casefold() == email.strip().casefold():
            raise InvalidInput("password: may not be the e-mail address.")
        return self.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing hash still costs one verification."""
        if password_hash is None and self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        try:
            verified = self._hasher.verify(password_hash or self._dummy_hash or "", password)
        except (VerificationError, InvalidHashError):
            return False
        return verified and password_hash is not None
