"""Helpers for the groups tests: rows edited behind the API's back, apps with custom settings,
and a check that a refused request wrote nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text, update

from opengroups.db import Database
from opengroups.models import Group
from opengroups.users import service as users_service
from tests.conftest import Api, AppFactory, snapshot

GROUPS = "/api/v1/groups"

GROUP_RESPONSE_FIELDS = {
    "id",
    "parent_group_id",
    "user_id",
    "name",
    "description",
    "data",
    "meta",
    "permissions",
    "created_at",
    "updated_at",
    "member_count",
}


def group_path(group_id: str, suffix: str = "") -> str:
    return f"{GROUPS}/id/{group_id}{suffix}"


async def set_group_fields(database: Database, group_id: str, **values: Any) -> None:
    """Write columns of a group row directly (JSON values are bound by SQLAlchemy per dialect)."""
    async with database.session() as session:
        await session.execute(update(Group).where(Group.id == group_id).values(**values))


async def clear_group_data(database: Database, group_id: str) -> None:
    """Make ``data`` SQL NULL, so the group has no ``share`` at all."""
    async with database.session() as session:
        await session.execute(
            text('UPDATE "group" SET data = NULL WHERE id = :id'), {"id": group_id}
        )


async def insert_users(database: Database, count: int, prefix: str = "bulk") -> list[str]:
    """Create ``count`` password-less users through the users service (no HTTP, no argon2):
    for tests that need many user ids but no tokens."""
    async with database.session() as session:
        users = [
            await users_service.create_user(
                session,
                name=f"{prefix} {n:03}",
                email=f"{prefix}{n}@example.com",
                role="user",
                password=None,
            )
            for n in range(count)
        ]
        return [user.id for user in users]


async def member_rows(database: Database, group_id: str) -> int:
    async with database.session(write=False) as session:
        result = await session.execute(
            text("SELECT count(*) FROM group_member WHERE group_id = :id"), {"id": group_id}
        )
        return int(result.scalar_one())


async def refused(
    database: Database, request: Awaitable[httpx.Response], status: int
) -> httpx.Response:
    """Send ``request`` and check that it got ``status`` and changed no row of any table."""
    before = await snapshot(database)
    response = await request
    assert response.status_code == status, response.text
    assert await snapshot(database) == before
    return response


@dataclass
class Started:
    """An app started with custom settings, an ``Api`` on it and its database."""

    api: Api
    database: Database


StartApi = Callable[..., Awaitable[Started]]


@pytest.fixture
async def start_api(app_factory: AppFactory) -> AsyncIterator[StartApi]:
    """Start an app with settings overrides (``max_group_depth=3``...) and a client on it.

    Use it instead of the ``api`` fixture, not next to it: the first app started empties the
    database.
    """
    clients: list[httpx.AsyncClient] = []

    async def start(**overrides: Any) -> Started:
        app = await app_factory(**overrides)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        clients.append(client)
        return Started(Api(client), app.state.database)

    yield start
    for client in clients:
        await client.aclose()
