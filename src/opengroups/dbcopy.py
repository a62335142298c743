"""Copy everything from one database to another: ``opengroups db copy --to URL``.

Every table of the schema, row for row: users with their password and API-key hashes, groups,
memberships with their sources, grants, default permissions and settings, the audit trail,
the sign-in throttle's failures and the cache log. A bundle export carries groups only; this
is how an operator moves an instance between SQLite and PostgreSQL (either way) or between two
servers.

- The target is brought to the current schema first, and must hold no data unless
  ``overwrite`` is given (then its data is deleted first).
- The whole copy is one transaction on the target: a failure leaves it as it was.
- What triggers derive while rows arrive (each group's member count and members version) is
  set back to the source's values at the end, so the copy is equal table by table; on
  PostgreSQL the id sequences continue after the copied ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Table, bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from opengroups.kit import migrate
from opengroups.kit.db import create_engine
from opengroups.models import Base, Group

# Rows read and written at a time.
CHUNK = 1_000
# The columns triggers set while memberships arrive (migration 0005).
_DERIVED = ("member_count", "members_version")

Progress = Callable[[str, int, int], None]
"""``progress(table, rows copied, rows in the table)``."""


class TargetNotEmpty(Exception):
    """The target database holds data, and ``overwrite`` was not given."""


@dataclass
class CopyReport:
    rows: dict[str, int]


def _tables() -> list[Table]:
    """Every table, each after the tables it references."""
    return list(Base.metadata.sorted_tables)


async def _count(connection: AsyncConnection, table: Table) -> int:
    return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())


def _self_references(table: Table) -> list[Column[object]]:
    """Columns referencing the table itself (a group's parent): written after every row."""
    return [fk.parent for fk in table.foreign_keys if fk.column.table is table]


async def _copy_table(
    source: AsyncConnection, target: AsyncConnection, table: Table, progress: Progress | None
) -> int:
    total = await _count(source, table)
    key = list(table.primary_key.columns) or list(table.columns)
    later = _self_references(table)
    copied = 0
    result = await source.stream(select(table).order_by(*key))
    async for rows in result.mappings().partitions(CHUNK):
        values = [dict(row) | {column.name: None for column in later} for row in rows]
        await target.execute(insert(table), values)
        copied += len(rows)
        if progress is not None:
            progress(table.name, copied, total)
    if progress is not None and total == 0:
        progress(table.name, 0, 0)
    if later:
        await _set_columns(source, target, table, [column.name for column in later])
    return copied


async def _set_columns(
    source: AsyncConnection, target: AsyncConnection, table: Table, names: list[str]
) -> None:
    """Give the target's rows of ``table`` the source's values of the columns ``names``."""
    (key,) = table.primary_key.columns
    result = await source.stream(select(key, *(table.c[name] for name in names)))
    statement = (
        update(table)
        .where(key == bindparam("row_key"))
        .values({name: bindparam(f"new_{name}") for name in names})
    )
    async for rows in result.mappings().partitions(CHUNK):
        await target.execute(
            statement,
            [{"row_key": row[key.name], **{f"new_{n}": row[n] for n in names}} for row in rows],
        )


async def _continue_sequences(target: AsyncConnection) -> None:
    for table in _tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                # Names from the schema's own metadata, not from input.
                name, key = table.name, column.name
                statement = (
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{key}'), "  # noqa: S608
                    f'GREATEST(COALESCE(MAX({key}), 0), 1), MAX({key}) IS NOT NULL) FROM "{name}"'
                )
                await target.execute(text(statement))


async def copy_database(
    source_url: str,
    target_url: str,
    *,
    overwrite: bool = False,
    progress: Progress | None = None,
) -> CopyReport:
    """Copy every row of ``source_url`` into ``target_url`` (see the module). Raises
    ``TargetNotEmpty``."""
    target_engine = create_engine(target_url)
    source_engine = create_engine(source_url)
    try:
        # Both at the current schema (a command migrates a database that is behind).
        await migrate.upgrade(source_engine)
        await migrate.upgrade(target_engine)
        rows: dict[str, int] = {}
        async with source_engine.connect() as source, target_engine.begin() as target:
            held = {table.name: await _count(target, table) for table in _tables()}
            data = {name: n for name, n in held.items() if n and name != "authz_state"}
            if data and not overwrite:
                raise TargetNotEmpty(
                    "The target database holds data ("
                    + ", ".join(f"{name}: {n} rows" for name, n in sorted(data.items()))
                    + "); copy into an empty one, or pass --overwrite to replace it."
                )
            for table in reversed(_tables()):
                await target.execute(table.delete())
            for table in _tables():
                rows[table.name] = await _copy_table(source, target, table, progress)
            await _set_columns(source, target, Group.__table__, list(_DERIVED))  # type: ignore[arg-type]
            if target.dialect.name == "postgresql":
                await _continue_sequences(target)
        return CopyReport(rows=rows)
    finally:
        await source_engine.dispose()
        await target_engine.dispose()
