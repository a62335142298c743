"""Engine and session factories.

A request (or CLI command) gets one session, and that session owns one transaction: it commits
when the work succeeds and rolls back on any exception, so a request is all-or-nothing.

SQLite allows one writer at a time. A deferred transaction that reads and later writes can fail
at once with "database is locked" when another writer got in between, whatever the busy timeout.
Write sessions therefore open with ``BEGIN IMMEDIATE`` (take the write lock first, wait for it up
to the busy timeout), while read sessions use plain ``BEGIN`` and, under WAL, never block.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
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
from sqlalchemy.util import await_

from opengroups.kit.context import TrackedSession, TransactionContext, context_of
from opengroups.kit.shared_counter import SharedCounter

SQLITE_BUSY_TIMEOUT_SECONDS = 30
# How long a request waits for a pooled PostgreSQL connection before it is answered 503.
POOL_TIMEOUT_SECONDS = 10
# Set on connections that will write: on SQLite their transaction opens with BEGIN IMMEDIATE.
WRITE_OPTION = "opengroups_write"
# Set on the statements of a server's background work (maintenance), so that whoever watches
# the engine (a test counting a request's statements) can tell them apart.
BACKGROUND_OPTION = "opengroups_background"


def is_sqlite_url(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Build the async engine for ``url`` with the pragmas and transaction handling we rely on.

    Bound parameters are never put in error messages or logs (``hide_parameters``): they can be
    password hashes, API-key hashes and e-mail addresses.
    """
    if is_sqlite_url(url):
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        pool_timeout=POOL_TIMEOUT_SECONDS,
    )


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

    # aiosqlite runs every driver call in the connection's own thread, and each hand-over
    # costs a thread wake-up both ways (docs/performance.md). SQLAlchemy's cursor path takes
    # three or four per statement; BEGIN takes one below.

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        driver = conn.connection.driver_connection  # the aiosqlite connection
        assert driver is not None
        await_(driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN"))  # one hand-over


def _has_work(session: AsyncSession, context: TransactionContext) -> bool:
    """Whether ending the session needs a commit: it used a connection, holds unflushed
    changes, or has work to do before committing. A request answered from the caches has
    none, and skips the commit's cost."""
    return bool(context.has_work or session.new or session.dirty or session.deleted)


class Database:
    """The engine and the session factories of one process.

    ``revision_hint``, when given, is a counter shared by every process using this database
    that lets caches skip reading the cache revision on each request (``caching.revision``).
    """

    def __init__(
        self, url: str, *, echo: bool = False, revision_hint: SharedCounter | None = None
    ) -> None:
        self.url = url
        self.revision_hint = revision_hint
        self.engine = create_engine(url, echo=echo)
        # One factory per kind of session: write or read, request or background.
        self._factories = {
            (write, background): async_sessionmaker(
                self.engine.execution_options(
                    **{WRITE_OPTION: write, BACKGROUND_OPTION: background}
                ),
                expire_on_commit=False,
                sync_session_class=TrackedSession,
            )
            for write in (False, True)
            for background in (False, True)
        }

    @asynccontextmanager
    async def session(
        self, *, write: bool = True, background: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block succeeds, rolled back when it raises.

        Work registered with ``TransactionContext.before_commit`` runs last, just before the
        commit; ``after_commit`` work right after it. ``background`` marks the statements of a
        server's own maintenance (``BACKGROUND_OPTION``), which only reads.
        """
        session = self._factories[(write, background)]()
        context = context_of(session)
        context.revision_hint = self.revision_hint
        # The transaction begins with the first query or flush (autobegin): a request served
        # from the caches never touches the pool, and ends here at the cost of a few checks.
        try:
            yield session
            if _has_work(session, context):
                await context.run_before_commit(session)
                await session.commit()
        except BaseException:
            # Roll back in this task, then close shielded (as AsyncSession's own exit does): a
            # task cancelled here (a server shutting down, a client gone), perhaps while its
            # BEGIN IMMEDIATE was still waiting in the driver's thread, must still release its
            # connection, or it would keep SQLite's write lock. (Closing from another task alone
            # was seen to leak one.)
            try:
                await session.rollback()
            finally:
                await asyncio.shield(asyncio.create_task(session.close()))
            raise
        context.run_after_commit()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.revision_hint is not None:
            self.revision_hint.close()
