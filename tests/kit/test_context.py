"""A transaction's context: events recorded in a savepoint that rolls back go with it; work
registered before the commit runs in order, work after the commit only when it committed."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.kit.context import context_of
from opengroups.kit.db import Database


def _record(session: AsyncSession, action: str) -> None:
    recorder.record(session, action=action, resource_type="test", resource_id="x")


def _actions(session: AsyncSession) -> list[str]:
    return [event["action"] for event in context_of(session).events]


async def test_events_of_a_rolled_back_savepoint_are_dropped(database: Database) -> None:
    async with database.session(write=False) as session:
        _record(session, "kept.before")

        async def refused() -> None:
            async with session.begin_nested():
                _record(session, "dropped")
                raise ValueError("refused")

        with pytest.raises(ValueError, match="refused"):
            await refused()
        savepoint = await session.begin_nested()
        _record(session, "dropped.too")
        await savepoint.rollback()
        async with session.begin_nested():
            _record(session, "kept.released")
        _record(session, "kept.after")

        assert _actions(session) == ["kept.before", "kept.released", "kept.after"]
        context_of(session).events.clear()  # nothing to write from this test


async def test_nested_savepoints_drop_only_their_own_events(database: Database) -> None:
    async with database.session(write=False) as session:
        async with session.begin_nested():
            _record(session, "outer")
            inner = await session.begin_nested()
            _record(session, "inner")
            await inner.rollback()

        assert _actions(session) == ["outer"]
        context_of(session).events.clear()


async def test_work_before_the_commit_runs_by_order_and_after_it_only_on_success(
    database: Database,
) -> None:
    ran: list[str] = []

    async def first(_session: AsyncSession) -> None:
        ran.append("first")

    async def second(_session: AsyncSession) -> None:
        ran.append("second")

    async with database.session() as session:
        context = context_of(session)
        context.before_commit(second, order=20)
        context.before_commit(first, order=10)
        context.after_commit("done", lambda: ran.append("after"))
    assert ran == ["first", "second", "after"]

    ran.clear()

    async def failing() -> None:
        async with database.session() as session:
            context_of(session).after_commit("done", lambda: ran.append("after"))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await failing()
    assert ran == []
