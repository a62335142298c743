"""Engine and session factories.

A request (or CLI command) gets one session, and that session owns one transaction: it commits
when the work succeeds and rolls back on any exception, so a request is all-or-nothing.

SQLite allows one writer at a time. A deferred transaction that reads and later writes can fail
at once with "database is locked" when another writer got in between, whatever the busy timeout.
Write sessions therefore open with ``BEGIN IMMEDIATE`` (take the write lock first, wait for it up
to the busy timeout), while read sessions use plain ``BEGIN`` and, under WAL, never block.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_SECONDS = 30
_WRITE_OPTION = "opengroups_write"


def is_sqlite_url(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Build the async engine for ``url`` with the pragmas and transaction handling we rely on."""
    if is_sqlite_url(url):
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
_HOOKS = "opengroups_before_commit"


def before_commit(session: AsyncSession, hook: BeforeCommit, *, order: int) -> None:
    """Run ``hook`` once, right before this session's transaction commits; hooks run by
    ``order``. Locks a hook takes are then held only for the commit itself, and always in
    the same order, so two transactions never deadlock on them."""
    hooks: dict[BeforeCommit, int] = session.info.setdefault(_HOOKS, {})
    hooks[hook] = order


async def run_before_commit(session: AsyncSession) -> None:
    hooks: dict[BeforeCommit, int] = session.info.pop(_HOOKS, {})
    for hook, _order in sorted(hooks.items(), key=lambda item: item[1]):
        await hook(session)


class Database:
    """The engine and the two session factories (read and write) of one process."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = create_engine(url, echo=echo)
        self.dialect = self.engine.dialect.name
        write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write = async_sessionmaker(write_engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block succeeds, rolled back when it raises.

        Work registered with ``before_commit`` runs last, just before the commit.
        """
        factory = self._write if write else self._read
        async with factory() as session, session.begin():
            yield session
            await run_before_commit(session)

    async def dispose(self) -> None:
        await self.engine.dispose()
