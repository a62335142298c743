"""The revision hint: a counter file shared by the processes of one host, which lets the caches
skip a query per request. It only grows; it is published after each bumping commit; it is
aligned with the database at start-up and reconciled with it in the background."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from opengroups.app import runtime_of
from opengroups.caching import revision as revisions
from opengroups.kit.db import Database
from opengroups.kit.shared_counter import SharedCounter
from opengroups.models import AuthzState
from tests.authz.conftest import has
from tests.conftest import Api, AppFactory, make_settings

KEY = "workspace.models"


def test_counter_is_shared_and_only_grows(tmp_path: Path) -> None:
    one, other = SharedCounter(tmp_path / "rev"), SharedCounter(tmp_path / "rev")
    try:
        assert one.read() == other.read() == 0
        assert one.publish(7) == 7
        assert other.read() == 7
        assert other.publish(3) == 7  # never goes back
        assert one.read() == 7
    finally:
        one.close()
        other.close()


def test_counter_follows_a_replaced_file(tmp_path: Path) -> None:
    path = tmp_path / "rev"
    counter = SharedCounter(path)
    try:
        counter.publish(5)
        path.unlink()
        newcomer = SharedCounter(path)  # a process started after the file was removed
        newcomer.publish(2)
        assert counter.reopen_if_replaced() is True
        assert counter.read() == 2
        assert counter.reopen_if_replaced() is False
        newcomer.close()
    finally:
        counter.close()


@pytest.mark.parametrize(
    ("url", "mode", "expected"),
    [
        ("sqlite+aiosqlite:////srv/og/opengroups.db", "auto", "/srv/og/opengroups.db.revision"),
        ("sqlite+aiosqlite:////srv/og/opengroups.db", "database", None),
        ("sqlite+aiosqlite://", "auto", None),
        ("sqlite+aiosqlite:///:memory:", "host", None),
        ("postgresql+asyncpg://u:secret@db/og", "auto", None),
        ("postgresql+asyncpg://u:secret@db/og", "host", "DATA/revision-"),
    ],
)
def test_where_the_hint_lives(tmp_path: Path, url: str, mode: str, expected: str | None) -> None:
    settings = make_settings(url, tmp_path, cache_validation=mode)
    path = revisions.hint_path(settings)
    if expected is None:
        assert path is None
    elif expected.startswith("DATA/"):
        assert path is not None
        assert path.parent == tmp_path.resolve()
        assert path.name.startswith("revision-")
        assert "secret" not in path.name
    else:
        assert path == Path(expected)


async def _set_database_revision(database: Database, value: int) -> None:
    async with database.session() as session:
        await session.execute(update(AuthzState).values(revision=value))


async def _database_revision(database: Database) -> int:
    async with database.session(write=False) as session:
        return await revisions.current_revision(session)


async def test_a_database_behind_the_hint_is_moved_past_it(migrated: str, tmp_path: Path) -> None:
    # A database restored from a backup has an older revision than the processes have seen:
    # moving it forward keeps one revision number from meaning two states.
    hint = SharedCounter(tmp_path / "rev")
    database = Database(migrated, revision_hint=hint)
    try:
        stored = await _database_revision(database)
        hint.publish(stored + 100)

        await revisions.align_hint(database)

        assert await _database_revision(database) == stored + 101
        assert hint.read() == stored + 101
    finally:
        await database.dispose()


def _hint_of(app: FastAPI) -> SharedCounter | None:
    database: Database = runtime_of(app).database
    return database.revision_hint


async def test_a_change_not_published_is_picked_up_by_reconciling(
    app: FastAPI, api: Api, dialect: str
) -> None:
    # A process that dies between its commit and its publish leaves the hint behind the
    # database; the background reconcile raises it, after which caches see the change.
    if _hint_of(app) is None:
        pytest.skip("this database validates caches with a query per request, not a hint")
    database: Database = runtime_of(app).database
    group = await api.group("Modelers", permissions={"workspace": {"models": True}})
    user = await api.user()
    assert await has(api, user, KEY) is False  # cached

    hint = _hint_of(app)
    assert hint is not None
    published = hint.read()
    await api.add(group["id"], user.id)
    # Simulate the lost publish: write the old value back behind the counter's back.
    hint.path.write_bytes(struct.pack("<q", published))
    assert hint.read() == published
    assert await has(api, user, KEY) is False  # served from the cache: the hint lags

    await revisions.reconcile(database)

    assert await has(api, user, KEY) is True


async def test_apps_on_one_database_share_one_hint(app_factory: AppFactory) -> None:
    first, second = await app_factory(), await app_factory()
    hint_a, hint_b = _hint_of(first), _hint_of(second)
    if hint_a is None or hint_b is None:
        pytest.skip("this database validates caches with a query per request, not a hint")
    assert hint_a.path == hint_b.path
