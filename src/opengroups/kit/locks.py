"""Database-wide locks for what row locks cannot serialize, by name.

On PostgreSQL each is a transaction-scoped advisory lock (released at commit or rollback). On
SQLite there is nothing to take: write transactions open with ``BEGIN IMMEDIATE`` and are
serialized already (``kit.db``).
"""

from __future__ import annotations

from enum import IntEnum

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


class Lock(IntEnum):
    """One advisory-lock key per thing serialized (four ASCII letters, to be recognisable in
    ``pg_locks``)."""

    MIGRATION = 0x6F70656E  # "open": concurrent start-ups migrate once
    HIERARCHY = 0x67726F75  # "grou": two concurrent moves cannot build a cycle
    REGISTRATION = 0x75736572  # "user": two "first" sign-ups cannot both become admin
    AUDIT = 0x61756469  # "audi": audit event ids grow in commit order


async def hold(session: AsyncSession, lock: Lock) -> None:
    """Take ``lock`` until the session's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_LOCK, {"key": int(lock)})


def hold_on(connection: Connection, lock: Lock) -> None:
    """``hold`` for a synchronous connection (the migrations run on one)."""
    if connection.dialect.name == "postgresql":
        connection.execute(_LOCK, {"key": int(lock)})
