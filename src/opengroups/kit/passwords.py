"""Passwords: the policy a new one must meet, and hashing with argon2id at the configured cost.

Hashing and verifying run in a small pool of worker threads (argon2 releases the GIL), never on
the event loop: a flood of sign-ins then waits for the pool instead of stalling every other
request, and at most ``concurrency`` hashes (each ``memory_kib`` of memory) run at once.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from opengroups.errors import InvalidInput

T = TypeVar("T")


class Passwords:
    """argon2id hashing with one cost (the library's recommended one by default), and the policy
    for new passwords. Existing hashes verify whatever cost they were made with."""

    def __init__(
        self,
        *,
        time_cost: int = 3,
        memory_kib: int = 65536,
        min_length: int = 8,
        concurrency: int = 2,
    ) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self.min_length = min_length
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")
        # Sign-ins whose password is being checked, each with its bookkeeping (``checking``).
        self._checks = asyncio.Semaphore(concurrency)
        # Verifying against this keeps sign-in time the same whether or not the e-mail exists.
        self._dummy_hash: str | None = None

    def checking(self) -> asyncio.Semaphore:
        """A turn to check a sign-in's password (``async with passwords.checking(): ...``):
        at most ``concurrency`` at once, so that what one check records (a failure counted) is
        seen by the checks that wait, rather than a flood all passing the count at once."""
        return self._checks

    def close(self) -> None:
        """Let the worker threads go (the process is stopping)."""
        self._pool.shutdown(wait=False)

    def hash(self, password: str) -> str:
        """The hash of ``password``, computed in the caller's thread (for tools, not requests)."""
        return self._hasher.hash(password)

    async def _in_pool(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    def check(self, password: str, *, email: str) -> None:
        """Refuse a password being set for the account ``email`` unless it meets the policy: at
        least ``min_length`` characters, not only spaces, not the e-mail address. Raises
        ``InvalidInput`` (422) saying which."""
        if len(password) < self.min_length:
            raise InvalidInput(f"password: must be at least {self.min_length} characters.")
        if not password.strip():
            raise InvalidInput("password: may not be only spaces.")
        if password.strip().casefold() == email.strip().casefold():
            raise InvalidInput("password: may not be the e-mail address.")

    def generate(self) -> str:
        """A new random password that meets the policy: at least 20 characters (and
        ``min_length``) of URL-safe letters, digits, ``-`` and ``_``."""
        length = max(20, self.min_length)
        return secrets.token_urlsafe(length)[:length]

    async def hash_new(self, password: str, *, email: str) -> str:
        """The hash of a password being set for ``email``, once it meets the policy (``check``).
        Call it before the transaction's first statement: the hash takes tens of milliseconds
        that no lock should be held for."""
        self.check(password, email=email)
        return await self._in_pool(lambda: self._hasher.hash(password))

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a missing hash still costs one verification."""
        return await self._in_pool(lambda: self._verify(password_hash, password))

    def _verify(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None and self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        try:
            verified = self._hasher.verify(password_hash or self._dummy_hash or "", password)
        except (VerificationError, InvalidHashError):
            return False
        return verified and password_hash is not None
