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
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.util import await_

from opengroups.config import Settings
from opengroups.shared_counter import SharedCounter

SQLITE_BUSY_TIMEOUT_SECONDS = 30
_WRITE_OPTION = "opengroups_write"


def is_sqlite_url(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Build the async engine for ``url`` with the pragmas and transaction handling we rely on."""
    if is_sqlite_url(url):
        engine = create_async_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
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

    # aiosqlite runs every driver call in the connection's own thread, and each hand-over
    # costs a thread wake-up both ways (~0.1-0.2 ms on a small VM). SQLAlchemy's cursor path
    # takes three or four per statement; BEGIN takes one below.

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        driver = conn.connection.driver_connection  # the aiosqlite connection
        assert driver is not None
        await_(driver.execute("BEGIN IMMEDIATE" if immediate else "BEGIN"))  # one hand-over


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


AfterCommit = Callable[[], None]
_AFTER_HOOKS = "opengroups_after_commit"
_REVISION_HINT = "opengroups_revision_hint"


def after_commit(session: AsyncSession, key: str, hook: AfterCommit) -> None:
    """Run ``hook`` once the transaction has committed (not if it rolls back), before the
    response is sent. A later registration under the same ``key`` replaces an earlier one."""
    hooks: dict[str, AfterCommit] = session.info.setdefault(_AFTER_HOOKS, {})
    hooks[key] = hook


def revision_hint(session: AsyncSession) -> SharedCounter | None:
    """The shared counter of the session's database, if it has one (see ``Database``)."""
    hint: SharedCounter | None = session.info.get(_REVISION_HINT)
    return hint


_CONNECTED = "opengroups_connected"


class _TrackedSession(Session):
    """A session that notes when its transaction first uses a connection (see ``_has_work``)."""


@event.listens_for(_TrackedSession, "after_begin")
def _note_connection(session: Session, _transaction: object, _connection: Connection) -> None:
    session.info[_CONNECTED] = True


def _has_work(session: AsyncSession) -> bool:
    """Whether ending the session needs a commit: it used a connection, holds unflushed
    changes, or has work to do before committing. A request answered from the caches has
    none, and skips the commit's cost."""
    return bool(
        session.info.get(_CONNECTED)
        or session.info.get(_HOOKS)
        or session.new
        or session.dirty
        or session.deleted
    )


class Database:
    """The engine and the two session factories (read and write) of one process.

    ``revision_hint``, when given, is a counter shared by every process using this database
    that lets caches skip reading the authorization revision on each request
    (``authz.revision``).
    """

    def __init__(
        self, url: str, *, echo: bool = False, revision_hint: SharedCounter | None = None
    ) -> None:
        self.url = url
        self.revision_hint = revision_hint
        self.engine = create_engine(url, echo=echo)
        self.dialect = self.engine.dialect.name
        write_engine = self.engine.execution_options(**{_WRITE_OPTION: True})
        self._read = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=_TrackedSession
        )
        self._write = async_sessionmaker(
            write_engine, expire_on_commit=False, sync_session_class=_TrackedSession
        )

    @asynccontextmanager
    async def session(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block succeeds, rolled back when it raises.

        Work registered with ``before_commit`` runs last, just before the commit.
        """
        factory = self._write if write else self._read
        session = factory()
        if self.revision_hint is not None:
            session.info[_REVISION_HINT] = self.revision_hint
        # The transaction begins with the first query or flush (autobegin): a request served
        # from the caches never touches the pool, and ends here at the cost of a few checks.
        try:
            yield session
            if _has_work(session):
                await run_before_commit(session)
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
        hooks: dict[str, AfterCommit] = session.info.pop(_AFTER_HOOKS, {})
        for hook in hooks.values():
            hook()

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.revision_hint is not None:
            self.revision_hint.close()


def revision_hint_path(settings: Settings) -> Path | None:
    """Where this database's shared revision counter lives, or None when every request must
    read the revision from the database (``OPENGROUPS_CACHE_VALIDATION``)."""
    url = make_url(settings.resolved_database_url())
    mode = settings.cache_validation
    if mode == "auto":
        mode = "host" if is_sqlite_url(url.drivername) else "database"
    if mode == "database":
        return None
    if is_sqlite_url(url.drivername):
        if not url.database or url.database == ":memory:":
            return None  # a private in-memory database: no other process can change it
        return Path(url.database).resolve().with_name(Path(url.database).name + ".revision")
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()
    return settings.data_dir.resolve() / f"revision-{digest[:16]}"


def open_database(settings: Settings) -> Database:
    """The configured database, with its shared revision hint when the settings allow one."""
    path = revision_hint_path(settings)
    return Database(
        settings.resolved_database_url(),
        revision_hint=SharedCounter(path) if path is not None else None,
    )
