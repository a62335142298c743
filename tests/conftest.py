"""Test fixtures: a real database (SQLite by default, PostgreSQL when
``OPENGROUPS_TEST_DATABASE_URL`` is set), migrated once by Alembic and emptied before each test,
and an HTTP client on the ASGI app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.app import create_app, runtime_of
from opengroups.bootstrap import Runtime
from opengroups.config import Settings
from opengroups.kit import migrate
from opengroups.kit.db import Database, create_engine
from opengroups.models import data_tables_children_first

TEST_DATABASE_URL_ENV = "OPENGROUPS_TEST_DATABASE_URL"
# argon2id at its cheapest: the tests sign up hundreds of accounts. Production keeps the default.
# The password policy is relaxed too, so the tests can use short passwords; tests/auths/
# test_password_policy.py checks the default policy.
FAST_PASSWORD_HASHING = {
    "password_hash_time_cost": 1,
    "password_hash_memory_kib": 1024,
    "password_min_length": 1,
}
FAST_PASSWORD_ENV = {
    f"OPENGROUPS_{key.upper()}": str(value) for key, value in FAST_PASSWORD_HASHING.items()
}
TABLES_IN_DELETE_ORDER = data_tables_children_first()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get(TEST_DATABASE_URL_ENV)
    if url:
        return url
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def dialect(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    """Build the schema the way production does: ``alembic upgrade head``."""
    engine = create_engine(database_url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    return database_url


async def empty_database(database: Database) -> None:
    async with database.session(write=True) as session:
        for table in TABLES_IN_DELETE_ORDER:
            await session.execute(text(f"DELETE FROM {table}"))


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "migrate_on_start": False,
        "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
        # No Open WebUI reconcile loop in the background unless a test starts one.
        "owui_reconcile_tick_seconds": 0,
        **FAST_PASSWORD_HASHING,
    }
    return Settings(_env_file=None, **(values | overrides))


AppFactory = Callable[..., Awaitable[FastAPI]]


@pytest.fixture
async def app_factory(migrated: str, tmp_path: Path) -> AsyncIterator[AppFactory]:
    """Start apps with chosen settings; the database is emptied when the first one starts."""
    contexts: list[Any] = []
    emptied = False

    async def start(**overrides: Any) -> FastAPI:
        nonlocal emptied
        app = create_app(make_settings(migrated, tmp_path, **overrides))
        context = app.router.lifespan_context(app)
        await context.__aenter__()
        contexts.append(context)
        if not emptied:
            await empty_database(runtime_of(app).database)
            emptied = True
        return app

    yield start
    for context in reversed(contexts):
        await context.__aexit__(None, None, None)


@pytest.fixture
async def app(app_factory: AppFactory) -> FastAPI:
    return await app_factory()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@dataclass
class Account:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Api:
    """Small helpers over the HTTP API, so tests read as what they check."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._admin: Account | None = None
        self._counter = 0

    async def admin(self) -> Account:
        """The first account signed up, hence the primary admin."""
        if self._admin is None:
            response = await self.client.post(
                "/api/v1/auths/signup",
                json={"name": "Admin", "email": "admin@example.com", "password": "admin-pw"},
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["role"] == "admin"
            self._admin = Account(body["id"], body["email"], body["token"])
        return self._admin

    async def user(self, role: str = "user", name: str | None = None) -> Account:
        admin = await self.admin()
        self._counter += 1
        name = name or f"User {self._counter}"
        email = f"user{self._counter}@example.com"
        response = await self.client.post(
            "/api/v1/auths/add",
            json={"name": name, "email": email, "password": "user-pw", "role": role},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return Account(body["id"], body["email"], body["token"])

    async def group(self, name: str, **fields: Any) -> dict[str, Any]:
        admin = await self.admin()
        response = await self.client.post(
            "/api/v1/groups/create", json={"name": name, **fields}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def add(self, group_id: str, *user_ids: str) -> dict[str, Any]:
        admin = await self.admin()
        response = await self.client.post(
            f"/api/v1/groups/id/{group_id}/users/add",
            json={"user_ids": list(user_ids)},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def get(self, path: str, account: Account | None = None, **params: Any) -> httpx.Response:
        account = account or await self.admin()
        return await self.client.get(path, headers=account.headers, params=params)

    async def post(
        self, path: str, body: Any = None, account: Account | None = None
    ) -> httpx.Response:
        account = account or await self.admin()
        return await self.client.post(path, json=body, headers=account.headers)

    async def delete(self, path: str, account: Account | None = None) -> httpx.Response:
        account = account or await self.admin()
        return await self.client.delete(path, headers=account.headers)


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


@pytest.fixture
def database(app: FastAPI) -> Database:
    db: Database = runtime_of(app).database
    return db


@pytest.fixture
def runtime(app: FastAPI) -> Runtime:
    """The app's runtime, for tests that call services directly (``transaction``)."""
    return runtime_of(app)


@asynccontextmanager
async def transaction(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    """One transaction on the test database, as a request has: committed when the block ends,
    rolled back when it raises."""
    async with runtime.database.session() as session:
        yield session


async def table_counts(database: Database) -> dict[str, int]:
    """Rows per table: a cheap fingerprint to show that a failed request wrote nothing."""
    counts: dict[str, int] = {}
    async with database.session(write=False) as session:
        for table in TABLES_IN_DELETE_ORDER:
            counts[table.strip('"')] = (
                await session.execute(text(f"SELECT count(*) FROM {table}"))
            ).scalar_one()
    return counts


async def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show that a request changed nothing at all."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with database.session(write=False) as session:
        for table in TABLES_IN_DELETE_ORDER:
            result = await session.execute(text(f"SELECT * FROM {table}"))
            rows[table] = sorted((tuple(str(v) for v in row) for row in result), key=repr)
    return rows


async def refused(
    database: Database,
    request: Awaitable[httpx.Response],
    status: int,
    *,
    recorded: Collection[str] = (),
) -> httpx.Response:
    """Send ``request`` and check that it got ``status`` and changed no row of any table but
    those named in ``recorded`` (what a refusal itself records: a failed sign-in's count)."""
    before = await snapshot(database)
    response = await request
    assert response.status_code == status, response.text
    after = await snapshot(database)
    kept = {f'"{table}"' for table in recorded}
    assert {k: v for k, v in after.items() if k not in kept} == {
        k: v for k, v in before.items() if k not in kept
    }
    return response


@dataclass
class Started:
    """An app started with custom settings, an ``Api`` on it and its database."""

    api: Api
    database: Database


StartApi = Callable[..., Awaitable[Started]]


@pytest.fixture
async def start_api(app_factory: AppFactory) -> AsyncIterator[StartApi]:
    """Start an app with settings overrides (``max_group_depth=3``, ``admin_bypass=False``...)
    and a client on it. Use it instead of the ``api`` fixture, not next to it: the first app
    started empties the database."""
    clients: list[httpx.AsyncClient] = []

    async def start(**overrides: Any) -> Started:
        app = await app_factory(**overrides)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        return Started(Api(client), runtime_of(app).database)

    yield start
    for client in clients:
        await client.aclose()
