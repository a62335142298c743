"""What one transaction carries besides its SQL, as one typed object.

A session opened by ``kit.db.Database`` has exactly one ``TransactionContext``: who is acting,
the audit events waiting to be written, the work to run just before and right after the commit,
and the cache revision the transaction has observed. Services reach it with ``context_of``.

Savepoints are followed: events recorded inside a savepoint that is rolled back are dropped with
it (``session.begin_nested()`` is enough; nobody has to compensate by hand).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from opengroups.kit.shared_counter import SharedCounter

BeforeCommit = Callable[[AsyncSession], Awaitable[None]]
AfterCommit = Callable[[], None]


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user id (None for the system), their address and the request id."""

    user_id: str | None = None
    address: str | None = None
    request_id: str | None = None


@dataclass
class TransactionContext:
    """The state of one transaction that is not in the database (yet)."""

    # The counter shared by the host's processes, when caches are validated by it.
    revision_hint: SharedCounter | None = None
    actor: Actor = field(default_factory=Actor)
    # Audit events recorded by the services, written just before the commit.
    events: list[dict[str, Any]] = field(default_factory=list)
    # The newest cache revision this transaction has seen (read once, then reused).
    observed_revision: int | None = None
    # Whether the transaction used a connection (a request served from caches did not).
    connected: bool = False
    # Transaction-scoped settings already applied (each is sent at most once).
    applied: set[str] = field(default_factory=set)
    _before_commit: dict[BeforeCommit, int] = field(default_factory=dict)
    _after_commit: dict[str, AfterCommit] = field(default_factory=dict)
    _savepoints: WeakKeyDictionary[SessionTransaction, int] = field(
        default_factory=WeakKeyDictionary
    )

    def act_as(self, **fields: str | None) -> None:
        """Say who acts (fields not given are kept)."""
        self.actor = replace(self.actor, **fields)

    def before_commit(self, hook: BeforeCommit, *, order: int) -> None:
        """Run ``hook`` once, right before the transaction commits; hooks run by ``order``.
        Locks a hook takes are then held only for the commit itself, and always in the same
        order, so two transactions never deadlock on them."""
        self._before_commit[hook] = order

    def after_commit(self, key: str, hook: AfterCommit) -> None:
        """Run ``hook`` once the transaction has committed (not if it rolls back), before the
        response is sent. A later registration under the same ``key`` replaces an earlier one."""
        self._after_commit[key] = hook

    @property
    def has_work(self) -> bool:
        """Whether ending the transaction needs a commit (besides unflushed ORM changes)."""
        return self.connected or bool(self._before_commit)

    async def run_before_commit(self, session: AsyncSession) -> None:
        hooks, self._before_commit = self._before_commit, {}
        for hook, _order in sorted(hooks.items(), key=lambda item: item[1]):
            await hook(session)

    def run_after_commit(self) -> None:
        hooks, self._after_commit = self._after_commit, {}
        for hook in hooks.values():
            hook()


_KEY = "opengroups"


def context_of(session: AsyncSession | Session) -> TransactionContext:
    """The session's context (created on first use for a session made elsewhere)."""
    context = session.info.get(_KEY)
    if context is None:
        context = session.info[_KEY] = TransactionContext()
    assert isinstance(context, TransactionContext)
    return context


class TrackedSession(Session):
    """The sessions ``kit.db.Database`` makes: their context follows connections and
    savepoints (the listeners below)."""


@event.listens_for(TrackedSession, "after_begin")
def _note_connection(session: Session, _transaction: object, _connection: Connection) -> None:
    context_of(session).connected = True


@event.listens_for(TrackedSession, "after_transaction_create")
def _note_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        context = context_of(session)
        context._savepoints[transaction] = len(context.events)


@event.listens_for(TrackedSession, "after_soft_rollback")
def _forget_savepoint(session: Session, previous: SessionTransaction) -> None:
    if previous.nested:
        context = context_of(session)
        mark = context._savepoints.pop(previous, None)
        if mark is not None:
            del context.events[mark:]
