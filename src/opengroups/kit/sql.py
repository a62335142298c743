"""Small pieces of SQL every repository shares: LIKE escaping, IN lists in chunks, and
insert-if-absent on both supported dialects."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

# Bound parameters per IN list: well under SQLite's and asyncpg's limits (32,766 / 32,767).
CHUNK = 5_000


def escape_like(term: str) -> str:
    """``term`` with LIKE wildcards escaped (backslash is the escape character)."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def chunked(items: Sequence[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, for IN lists that must stay under the drivers'
    limit on bound parameters."""
    values = list(items)
    for start in range(0, len(values), size):
        yield values[start : start + size]


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
        # group_member then run once per batch, not once per row (docs/performance.md).
        statement = (
            postgresql.insert(table).on_conflict_do_nothing().returning(*table.primary_key.columns)
        )
    else:  # sqlite3's executemany is a loop in C, faster than one long multi-row INSERT
        statement = sqlite.insert(table).on_conflict_do_nothing()
    await session.execute(statement, list(rows))
