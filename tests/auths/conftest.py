"""Helpers for the auths tests: apps started with custom settings, rows read behind the API's
back, and a check that a refused request wrote nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from opengroups.db import Database
from tests.conftest import Api, AppFactory, snapshot

AUTHS = "/api/v1/auths"
SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"  # as tests/conftest.py's settings

SESSION_FIELDS = {
    "token",
    "token_type",
    "expires_at",
    "id",
    "email",
    "name",
    "role",
    "profile_image_url",
    "permissions",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def user_row(database: Database, user_id: str) -> dict[str, Any]:
    """The stored ``user`` row, read with plain SQL."""
    async with database.session(write=False) as session:
        result = await session.execute(text('SELECT * FROM "user" WHERE id = :id'), {"id": user_id})
        return dict(result.mappings().one())


async def refused(
    database: Database, request: Awaitable[httpx.Response], status: int
) -> httpx.Response:
    """Send ``request`` and check that it got ``status`` and changed no row of any table."""
    before = await snapshot(database)
    response = await request
    assert response.status_code == status, response.text
    assert await snapshot(database) == before
    return response


async def signup(client: httpx.AsyncClient, email: str, password: str = "pw") -> httpx.Response:
    return await client.post(
        f"{AUTHS}/signup", json={"name": email.split("@")[0], "email": email, "password": password}
    )


async def members_of(api: Api, group_id: str) -> dict[str, list[str]]:
    """``{user_id: sources}`` of a group's direct members."""
    response = await api.get(f"/api/v1/groups/id/{group_id}/members", membership="direct")
    assert response.status_code == 200, response.text
    return {item["id"]: item["sources"] for item in response.json()["items"]}


@dataclass
class Started:
    """An app started with custom settings, a client and an ``Api`` on it, and its database."""

    client: httpx.AsyncClient
    api: Api
    database: Database


StartApi = Callable[..., Awaitable[Started]]


@pytest.fixture
async def start_api(app_factory: AppFactory) -> AsyncIterator[StartApi]:
    """Start an app with settings overrides; use it instead of the ``api`` fixture (the first
    app started empties the database)."""
    clients: list[httpx.AsyncClient] = []

    async def start(**overrides: Any) -> Started:
        app = await app_factory(**overrides)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        return Started(client, Api(client), app.state.database)

    yield start
    for client in clients:
        await client.aclose()
