from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from opengroups.app import create_app
from tests.conftest import Api, make_settings

OtherInstance = Callable[[], Awaitable[Api]]


@pytest.fixture
async def sqlite_instance(tmp_path: Path) -> AsyncIterator[OtherInstance]:
    """A second, empty opengroups instance on its own SQLite file."""
    async with AsyncExitStack() as stack:
        started: list[Api] = []

        async def start() -> Api:
            folder = tmp_path / f"instance-{len(started)}"
            folder.mkdir()
            url = f"sqlite+aiosqlite:///{folder / 'other.db'}"
            app = create_app(make_settings(url, folder, migrate_on_start=True))
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://other")
            )
            started.append(Api(client))
            return started[-1]

        yield start


async def import_bundle(api: Api, bundle: Any, **params: Any) -> httpx.Response:
    admin = await api.admin()
    return await api.client.post(
        "/api/v1/transfer/import", json=bundle, params=params, headers=admin.headers
    )


async def export_bundle(api: Api) -> dict[str, Any]:
    response = await api.get("/api/v1/transfer/export")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
