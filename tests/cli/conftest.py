"""Run the ``opengroups`` CLI in-process on the test database.

The commands call ``asyncio.run``, so the tests that invoke them are plain functions, and what
they check through the API runs in its own ``asyncio.run`` too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from typer.testing import CliRunner, Result

from opengroups.app import create_app
from opengroups.cli.main import app as cli_app
from opengroups.kit.db import Database
from tests.conftest import FAST_PASSWORD_ENV, empty_database, make_settings

T = TypeVar("T")
Invoke = Callable[..., Result]


async def _empty(url: str) -> None:
    database = Database(url)
    try:
        await empty_database(database)
    finally:
        await database.dispose()


@pytest.fixture
def invoke(migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``invoke("users", "create", ...)`` on an emptied database, with the data directory in
    ``tmp_path``."""
    asyncio.run(_empty(migrated))
    monkeypatch.chdir(tmp_path)  # no stray .env file
    env = {
        "OPENGROUPS_DATA_DIR": str(tmp_path / "data"),
        "OPENGROUPS_DATABASE_URL": migrated,
        **FAST_PASSWORD_ENV,
    }
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None, **settings: str) -> Result:
        """Run the command; ``stdin`` is its standard input (never a terminal), ``settings``
        more environment variables."""
        return runner.invoke(cli_app, list(args), env={**env, **settings}, input=stdin)

    return run


def through_api(
    database_url: str, data_dir: Path, work: Callable[[httpx.AsyncClient], Awaitable[T]]
) -> T:
    """Run ``work`` with a client on a fresh app over the same database."""

    async def main() -> T:
        app = create_app(make_settings(database_url, data_dir))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                return await work(http)

    return asyncio.run(main())


def api_call(
    database_url: str, data_dir: Path, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    async def work(http: httpx.AsyncClient) -> httpx.Response:
        return await http.request(method, path, **kwargs)

    return through_api(database_url, data_dir, work)
