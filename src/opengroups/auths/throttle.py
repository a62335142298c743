"""Sign-in throttling: a sliding window of failed sign-ins per account and per client address.

An account that failed ``per_account`` times within the window, or an address that failed
``per_address`` times, is refused with 429 and ``Retry-After`` (the seconds until the window
frees a try) without its password being checked. A successful sign-in forgets the account's
failures. The failures are rows in the database, so every worker process and every host sharing
the database sees the same counts; checking them is a read, and recording one a short write
of its own, after the password was checked, so no write lock is held while argon2 works.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.auths import repository
from opengroups.config import Settings
from opengroups.errors import OpenGroupsError


class TooManyAttempts(OpenGroupsError):
    status_code = 429

    def __init__(self, what: str, retry_after: int) -> None:
        super().__init__(
            f"Too many failed sign-ins for this {what}; try again in {retry_after} seconds."
        )
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_address: int
    window_seconds: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            per_account=settings.signin_max_failures_per_account,
            per_address=settings.signin_max_failures_per_address,
            window_seconds=settings.signin_window_seconds,
        )


@dataclass(frozen=True)
class Attempt:
    """Who is signing in: the account's e-mail and the client's address (if known). A bearer
    token names no account (``email`` None): only its address is counted."""

    email: str | None
    address: str | None

    def keys(self, limits: Limits) -> list[tuple[str, int, str]]:
        """``(key, limit, what)`` for each count this attempt is held to."""
        found = []
        if self.email is not None:
            found.append((f"account:{self.email}", limits.per_account, "account"))
        if self.address:
            found.append((f"address:{self.address}", limits.per_address, "address"))
        return found


def _now_ms() -> int:
    return int(time.time() * 1000)


async def refuse_if_throttled(session: AsyncSession, attempt: Attempt, limits: Limits) -> None:
    """Raise ``TooManyAttempts`` when the account or the address has used up its tries."""
    now = _now_ms()
    since = now - limits.window_seconds * 1000
    for key, limit, what in attempt.keys(limits):
        count, _oldest = await repository.failures_since(session, key, since)
        if count >= limit:
            # Once the failure at this position leaves the window, the count is under the limit.
            frees = await repository.nth_failure_since(session, key, since, count - limit)
            wait_ms = (frees or now) + limits.window_seconds * 1000 - now
            raise TooManyAttempts(what, max(1, math.ceil(wait_ms / 1000)))


async def record_failure(session: AsyncSession, attempt: Attempt, limits: Limits) -> bool:
    """Count a failed sign-in against the account and the address. True when it used up the
    account's last try (a lockout begins)."""
    now = _now_ms()
    keys: Sequence[tuple[str, int, str]] = attempt.keys(limits)
    if not keys:
        return False
    await repository.add_failures(session, [key for key, _limit, _what in keys], now)
    if attempt.email is None:
        return False
    account_key, account_limit, _what = keys[0]
    count, _oldest = await repository.failures_since(
        session, account_key, now - limits.window_seconds * 1000
    )
    return count == account_limit


async def forget_account(session: AsyncSession, attempt: Attempt) -> None:
    """A successful sign-in: the account's failures no longer count (the address's still do)."""
    await repository.forget(session, f"account:{attempt.email}")


async def prune(session: AsyncSession, limits: Limits) -> None:
    """Drop the failures that left the window."""
    await repository.prune(session, _now_ms() - limits.window_seconds * 1000)
