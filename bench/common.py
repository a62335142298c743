"""What every benchmark script needs: a database to fill, emptied first."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import text

from opengroups.kit.db import Database
from opengroups.models import data_tables_children_first


def database_url_or_temporary(url: str | None) -> str:
    """``url``, or a new SQLite file in a temporary folder."""
    if url:
        return url
    folder = Path(tempfile.mkdtemp(prefix="opengroups-bench-"))
    return f"sqlite+aiosqlite:///{folder / 'bench.db'}"


async def empty_database(database: Database) -> None:
    """Delete every row of every data table (the benchmarks start from nothing)."""
    async with database.session() as session:
        for table in data_tables_children_first():
            await session.execute(text(f"DELETE FROM {table}"))
