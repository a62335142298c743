"""The cache revision: one counter that says whether anything cached may be stale, and a log of
what each change invalidated.

Every committed change that can make a cached answer wrong (a membership, a group's permissions
or place in the tree, the defaults, a user's row) bumps ``authz_state.revision`` in its own
transaction, and writes one ``authz_change`` row for the new revision naming whom it affects:
a list of users, or everyone. A process that observes a newer revision than it has applied
reads the rows in between and drops exactly those users' entries (``caching.owner``).

Learning the newest revision costs a query per request unless the database has a *revision
hint* (``kit.db.Database``): a counter shared by every process on the host, raised right after
each bumping transaction commits and before its response is sent. A request that starts after a
change was acknowledged therefore sees a hint at least as large as that change's revision. The
hint can only lag behind the database if a process dies between its commit and the publish, or
if something writes without publishing (an older tool); every process re-reads the database
revision every ``RECONCILE_SECONDS`` to bound that case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.config import Settings
from opengroups.kit.context import context_of
from opengroups.kit.db import Database, is_sqlite_url
from opengroups.kit.shared_counter import SharedCounter
from opengroups.models import AuthzChange, AuthzState, now_epoch

_ROW = 1
RECONCILE_SECONDS = 1.0
# A change naming more users than this invalidates everyone instead: the log row stays small,
# and dropping everything is cheaper than dropping that many entries one by one.
MAX_NAMED_USERS = 10_000
# How many log rows are kept; a process further behind than this drops every entry.
LOG_ROWS_KEPT = 10_000


@dataclass(frozen=True)
class Invalidation:
    """Whose cached entries a change makes stale: ``user_ids``, or everyone's."""

    user_ids: frozenset[str] = frozenset()
    everyone: bool = False

    def __bool__(self) -> bool:
        return self.everyone or bool(self.user_ids)

    def touches(self, user_id: str) -> bool:
        return self.everyone or user_id in self.user_ids

    @classmethod
    def of(cls, user_ids: Iterable[str] = (), *, everyone: bool = False) -> Invalidation:
        ids = frozenset(user_ids)
        if everyone or len(ids) > MAX_NAMED_USERS:
            return cls(everyone=True)
        return cls(user_ids=ids)


EVERYONE = Invalidation(everyone=True)


async def current_revision(session: AsyncSession) -> int:
    """The committed revision, read from the database."""
    result = await session.execute(select(AuthzState.revision).where(AuthzState.id == _ROW))
    return int(result.scalar_one())


async def observed_revision(session: AsyncSession) -> int:
    """A revision at least as new as every change acknowledged before this transaction began:
    the shared hint when the database has one (a memory read), the database's own value
    otherwise (a query). Read once per transaction, however many caches it consults."""
    context = context_of(session)
    if context.observed_revision is None:
        hint = context.revision_hint
        context.observed_revision = (
            hint.read() if hint is not None else await current_revision(session)
        )
    return context.observed_revision


async def revision_for_caching(session: AsyncSession, observed: int) -> int:
    """The revision to file a freshly computed answer under. Read before the answer's data, so
    the answer is at least as new as the revision it is filed under."""
    if context_of(session).revision_hint is None:
        return observed  # already read from the database by this transaction
    return await current_revision(session)


async def bump(session: AsyncSession, invalidation: Invalidation) -> None:
    """Mark what ``invalidation`` names as stale once this transaction commits. Called just
    before the commit (``audit.recorder``), so the counter row is locked only for the commit
    itself; the new value is published to the hint right after the commit."""
    result = await session.execute(
        update(AuthzState)
        .where(AuthzState.id == _ROW)
        .values(revision=AuthzState.revision + 1)
        .returning(AuthzState.revision)
    )
    revision = int(result.scalar_one())
    await session.execute(
        insert(AuthzChange).values(
            revision=revision,
            user_ids=None if invalidation.everyone else sorted(invalidation.user_ids),
            everyone=invalidation.everyone,
            created_at=now_epoch(),
        )
    )
    hint = context_of(session).revision_hint
    if hint is not None:
        context_of(session).after_commit("cache.revision", lambda: _publish(hint, revision))


def _publish(hint: SharedCounter, revision: int) -> None:
    hint.publish(revision)


async def changes_after(
    session: AsyncSession, revision: int, *, upto: int
) -> list[tuple[int, Invalidation]]:
    """The logged changes with revisions in ``(revision, upto]``, oldest first. A revision with
    no row (pruned, or bumped by something that does not log) is simply missing."""
    result = await session.execute(
        select(AuthzChange.revision, AuthzChange.user_ids, AuthzChange.everyone)
        .where(AuthzChange.revision > revision, AuthzChange.revision <= upto)
        .order_by(AuthzChange.revision)
    )
    return [
        (int(number), EVERYONE if everyone else Invalidation(user_ids=frozenset(user_ids or ())))
        for number, user_ids, everyone in result
    ]


async def prune_log(session: AsyncSession, *, keep: int = LOG_ROWS_KEPT) -> None:
    """Drop the log rows older than the newest ``keep``."""
    newest = (await session.execute(select(func.max(AuthzChange.revision)))).scalar()
    if newest is not None:
        await session.execute(delete(AuthzChange).where(AuthzChange.revision <= newest - keep))


async def align_hint(database: Database) -> None:
    """Make the hint and the database agree at start-up: the hint is raised to the database's
    revision, and a database behind the hint (restored from a backup, say) is moved forward
    past it, so that a revision never means two different states."""
    hint = database.revision_hint
    if hint is None:
        return
    async with database.session() as session:
        stored = await current_revision(session)
        shown = hint.read()
        if shown > stored:
            # Bumps only ever add 1 and stored < shown, so nothing concurrent can be past this.
            await session.execute(
                update(AuthzState).where(AuthzState.id == _ROW).values(revision=shown + 1)
            )
            stored = await current_revision(session)
    hint.publish(stored)


async def reconcile(database: Database) -> None:
    """Raise the hint to the database's revision (a safety net for a process that died between
    commit and publish), mapping the hint file again first if it was replaced."""
    hint = database.revision_hint
    if hint is None:
        return
    hint.reopen_if_replaced()
    async with database.session(write=False, background=True) as session:
        hint.publish(await current_revision(session))


def hint_path(settings: Settings) -> Path | None:
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
