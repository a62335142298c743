"""Database faults as what they are for a client: the service is unavailable for a moment.

A request that fails because the database cannot be reached, is restarting, is full or is busy
beyond the wait is answered 503 with ``Retry-After`` and a message, instead of a 500: nothing was
written (its transaction rolled back) and the same request may succeed a little later.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from sqlalchemy import exc

RETRY_AFTER_SECONDS = 5
_NETWORK_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
}
# The exception types that can be database faults (``unavailable`` tells which are).
DATABASE_FAULTS: tuple[type[Exception], ...] = (exc.DBAPIError, exc.TimeoutError, OSError)


@dataclass(frozen=True)
class Unavailable:
    """What a client is told: a message and when to retry."""

    message: str
    retry_after: int = RETRY_AFTER_SECONDS


def unavailable(error: BaseException) -> Unavailable | None:
    """The 503 answer for a database fault, or None when ``error`` is not one (a bug, which
    stays a 500)."""
    text = str(getattr(error, "orig", None) or error).lower()
    if isinstance(error, exc.TimeoutError):
        return Unavailable("The database is busy (no connection was free in time); retry shortly.")
    if isinstance(error, exc.DBAPIError) and (
        error.connection_invalidated or isinstance(error, exc.InterfaceError)
    ):
        return Unavailable("The connection to the database was lost; retry shortly.")
    if isinstance(error, exc.OperationalError):
        if "full" in text:
            return Unavailable("The database is full (no space left); ask an administrator.", 60)
        if "locked" in text or "busy" in text:
            return Unavailable("The database is busy; retry shortly.")
        return Unavailable("The database is unavailable; retry shortly.")
    if isinstance(error, ConnectionError | TimeoutError) or (
        isinstance(error, OSError) and (error.errno in _NETWORK_ERRNOS or "connect" in text)
    ):
        return Unavailable("The database cannot be reached; retry shortly.")
    return None
