"""Helpers for the permission tests: apps started with custom settings, and short readers of a
user's effective permissions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from opengroups.db import Database
from tests.conftest import Account, Api, AppFactory, snapshot

MY_PERMISSIONS = "/api/v1/users/permissions"
DEFAULTS = "/api/v1/users/default/permissions"
CHECK = "/api/v1/permissions/check"


@dataclass
class Started:
    """An app started with custom settings, an ``Api`` on it and its database."""

    api: Api
    database: Database


StartApi = Callable[..., Awaitable[Started]]


@pytest.fixture
async def start_api(app_factory: AppFactory) -> AsyncIterator[StartApi]:
    """Start an app with settings overrides (``admin_bypass=False``...) and a client on it.

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


async def my_permissions(api: Api, account: Account) -> dict[str, Any]:
    """``account``'s effective permission tree, as they read it themselves."""
    response = await api.get(MY_PERMISSIONS, account)
    assert response.status_code == 200, response.text
    tree: dict[str, Any] = response.json()
    return tree


async def has(api: Api, account: Account, key: str) -> bool:
    """Whether ``account``'s effective tree sets the dotted ``key``."""
    node: Any = await my_permissions(api, account)
    for part in key.split("."):
        node = node[part]
    assert isinstance(node, bool)
    return node


async def refused(
    database: Database, request: Awaitable[httpx.Response], status: int
) -> httpx.Response:
    """Send ``request`` and check that it got ``status`` and changed no row of any table."""
    before = await snapshot(database)
    response = await request
    assert response.status_code == status, response.text
    assert await snapshot(database) == before
    return response
