"""The authorization revision: one counter that says whether any cached answer may be stale.

Every change that can alter someone's effective permissions, or what authentication returns for
someone (a role, an e-mail, an API key, a deleted account), bumps ``authz_state.revision`` in its
own transaction. Caches keep answers computed under revision *r* and serve them only while no
larger revision has been committed.

Learning the newest revision costs a query per request unless the database has a *revision
hint* (``db.Database``): a counter shared by every process on the host, raised right after each
bumping transaction commits and before its response is sent. A request that starts after a
change was acknowledged therefore sees a hint at least as large as that change's revision, and
misses the cache. The hint can only lag behind the database if a process dies between its
commit and the publish, or if something writes without publishing (an older tool); every
process re-reads the database revision every ``RECONCILE_SECONDS`` to bound that case.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.db import Database, after_commit, before_commit, revision_hint
from opengroups.models import AuthzState
from opengroups.shared_counter import SharedCounter

_ROW = 1
_OBSERVED = "opengroups_observed_revision"
BUMP_ORDER = 20
RECONCILE_SECONDS = 1.0


async def current_revision(session: AsyncSession) -> int:
    """The committed revision, read from the database."""
    result = await session.execute(select(AuthzState.revision).where(AuthzState.id == _ROW))
    return int(result.scalar_one())


async def observed_revision(session: AsyncSession) -> int:
    """A revision at least as new as every change acknowledged before this request began:
    the shared hint when the database has one, the database's own value otherwise. A cache
    entry computed under a revision at least this large is current."""
    hint = revision_hint(session)
    if hint is not None:
        return hint.read()
    observed: int | None = session.info.get(_OBSERVED)
    if observed is None:  # one query per request, however many caches it consults
        observed = session.info[_OBSERVED] = await current_revision(session)
    return observed


async def revision_for_caching(session: AsyncSession, observed: int) -> int:
    """The revision to file a freshly computed answer under. Read before the answer's data, so
    the answer is at least as new as the revision it is filed under."""
    if revision_hint(session) is None:
        return observed  # already read from the database by this request
    return await current_revision(session)


async def bump_revision(session: AsyncSession) -> None:
    """Mark every cached answer as stale once this transaction commits.

    The counter row is written just before the commit (``db.before_commit``), so it is locked
    only for the commit itself and after every other lock the transaction takes; the new value
    is published to the hint right after the commit.
    """
    before_commit(session, _write_revision, order=BUMP_ORDER)


async def _write_revision(session: AsyncSession) -> None:
    result = await session.execute(
        update(AuthzState)
        .where(AuthzState.id == _ROW)
        .values(revision=AuthzState.revision + 1)
        .returning(AuthzState.revision)
    )
    revision = int(result.scalar_one())
    hint = revision_hint(session)
    if hint is not None:
        after_commit(session, "authz.revision", lambda: _publish(hint, revision))


def _publish(hint: SharedCounter, revision: int) -> None:
    hint.publish(revision)


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
    async with database.session(write=False) as session:
        hint.publish(await current_revision(session))
