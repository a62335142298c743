"""Database faults are answered 503 with ``Retry-After`` and a message, write nothing, and leave
the process alive (``/health``) though not ready (``/ready``); error messages never carry bound
parameters."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from opengroups.app import runtime_of
from opengroups.kit.db import Database
from opengroups.kit.faults import unavailable
from tests.conftest import Api, table_counts

UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"


async def test_an_unreachable_database_is_503_and_not_ready(app: FastAPI, api: Api) -> None:
    admin = await api.admin()  # cached: authentication itself needs no database now
    runtime = runtime_of(app)
    working = runtime.database
    runtime._database = Database(UNREACHABLE)
    try:
        create = await api.post("/api/v1/groups/create", {"name": "Team"}, admin)
        ready = await api.client.get("/ready")
        health = await api.client.get("/health")
        signin = await api.client.post(
            "/api/v1/auths/signin", json={"email": admin.email, "password": "admin-pw"}
        )
    finally:
        await runtime.database.dispose()
        runtime._database = working

    for response in (create, signin):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        assert "cannot be reached" in response.json()["detail"]
    assert ready.status_code == 503
    assert ready.json()["database"] is False
    assert health.status_code == 200
    assert (await api.client.get("/ready")).json() == {"status": True, "database": True}


def _vacuum(path: str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("VACUUM")


async def test_a_full_sqlite_database_is_503_and_writes_nothing(
    app: FastAPI, api: Api, database: Database, dialect: str
) -> None:
    if dialect != "sqlite":
        pytest.skip("a SQLite size limit stands in for a full disk")
    admin = await api.admin()
    # Pages freed by earlier tests would take the writes first, however many there are: the
    # file is compacted, so that the next page the database needs is one it may not have.
    await asyncio.to_thread(_vacuum, str(database.engine.url.database))
    async with database.session(write=False) as session:
        pages = int((await session.execute(text("PRAGMA page_count"))).scalar_one())

    def limit(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    before = await table_counts(database)
    # Every connection handed out from now on may not grow the file (this app's engine only:
    # the next test's app opens connections of its own).
    event.listen(database.engine.sync_engine, "checkout", limit)
    try:
        statuses: list[httpx.Response] = []
        for number in range(40):  # grow the database until it is full
            response = await api.post(
                "/api/v1/groups/create",
                {"name": f"Group {number}", "description": "x" * 9_000},
                admin,
            )
            statuses.append(response)
            if response.status_code != 200:
                break
    finally:
        event.remove(database.engine.sync_engine, "checkout", limit)

    refusal = statuses[-1]
    assert refusal.status_code == 503, refusal.text
    assert "full" in refusal.json()["detail"]
    assert refusal.headers["Retry-After"] == "60"
    created = sum(response.status_code == 200 for response in statuses)
    assert (await table_counts(database))["group"] == before["group"] + created


async def test_bound_parameters_stay_out_of_error_messages(database: Database) -> None:
    secret = "$argon2id$v=19$m=65536,t=3,p=4$a-hash-that-must-not-leak"
    statement = text(
        'INSERT INTO "user" (id, name, email, role, password_hash, profile_image_url, '
        "last_active_at, created_at, updated_at, revision) "
        "VALUES ('same', 'n', :email, 'user', :hash, '', 0, 0, 0, 1)"
    )

    async def insert_twice() -> None:
        async with database.session() as session:
            await session.execute(statement, {"email": "a@example.com", "hash": secret})
            await session.execute(statement, {"email": "b@example.com", "hash": secret})

    with pytest.raises(IntegrityError) as raised:
        await insert_twice()

    assert secret not in str(raised.value)
    assert "a@example.com" not in str(raised.value)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectionRefusedError(111, "Connection refused"), "cannot be reached"),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed"), "cannot be reached"),
        (FileNotFoundError(2, "No such file"), None),  # a bug, not the database: stays a 500
        (ValueError("nope"), None),
    ],
)
def test_which_errors_are_database_faults(error: BaseException, expected: str | None) -> None:
    fault = unavailable(error)
    if expected is None:
        assert fault is None
    else:
        assert fault is not None
        assert expected in fault.message
