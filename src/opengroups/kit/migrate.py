"""Run the packaged Alembic migrations against a live engine, and tell whether they are due."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from opengroups.kit.db import WRITE_OPTION
from opengroups.kit.locks import Lock, hold_on

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"
# The newest migration. Kept by hand so that checking a database costs one query rather than
# loading every migration script; a test checks it against Alembic's own head.
HEAD = "0015"


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    hold_on(connection, Lock.MIGRATION)  # several processes starting together migrate once
    command.upgrade(alembic_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


def _stored_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _writing(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for a transaction that writes: on SQLite it takes the write lock first and
    waits for other writers, instead of failing when one commits between its reads and its
    first write (a server running beside ``opengroups db upgrade``)."""
    return engine.execution_options(**{WRITE_OPTION: True})


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` (default: the newest)."""
    async with _writing(engine).begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with _writing(engine).begin() as conn:
        await conn.run_sync(_downgrade, revision)


async def stored_revision(engine: AsyncEngine) -> str | None:
    """The schema revision the database is at; None for a database never migrated."""
    async with engine.connect() as conn:
        return await conn.run_sync(_stored_revision)
