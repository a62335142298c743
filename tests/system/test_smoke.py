"""Smoke tests against a real ``opengroups serve`` process over real HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from opengroups.db import Database
from tests.conftest import empty_database

OPENGROUPS = str(Path(sys.executable).parent / "opengroups")
START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any ``OPENGROUPS_*`` variable, plus ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPENGROUPS_")}
    return {**env, **settings}


async def _empty(url: str) -> None:
    database = Database(url)
    try:
        await empty_database(database)
    finally:
        await database.dispose()


def _wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(
        f"the server did not answer /health in {START_TIMEOUT_SECONDS}s:\n{log.read_text()}"
    )


@contextmanager
def running_server(env: dict[str, str], cwd: Path, log: Path) -> Iterator[str]:
    """Start ``opengroups serve`` on a free port, yield its base URL once healthy, then stop it
    and check that it shut down cleanly."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [OPENGROUPS, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_healthy(base_url, process, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    # Recent uvicorn versions re-raise the signal after a graceful shutdown.
    assert process.returncode in (0, -signal.SIGTERM), log.read_text()
    assert "Application shutdown complete" in log.read_text()


def test_serve_answers_the_api_over_http(migrated: str, tmp_path: Path) -> None:
    asyncio.run(_empty(migrated))
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(tmp_path / "data"), OPENGROUPS_DATABASE_URL=migrated
    )

    with (
        running_server(env, tmp_path, tmp_path / "serve.log") as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        signup = http.post(
            "/api/v1/auths/signup",
            json={"name": "Admin", "email": "admin@example.com", "password": "admin-pw"},
        )
        assert signup.status_code == 200, signup.text
        assert signup.json()["role"] == "admin"
        admin = {"Authorization": f"Bearer {signup.json()['token']}"}

        group = http.post("/api/v1/groups/create", json={"name": "Smoke"}, headers=admin)
        assert group.status_code == 200, group.text
        group_id = group.json()["id"]
        member = http.post(
            "/api/v1/auths/add",
            json={
                "name": "Member",
                "email": "member@example.com",
                "password": "pw",
                "role": "user",
            },
            headers=admin,
        )
        assert member.status_code == 200, member.text
        member_id = member.json()["id"]
        added = http.post(
            f"/api/v1/groups/id/{group_id}/users/add", json={"user_ids": [member_id]}, headers=admin
        )
        assert added.status_code == 200, added.text

        detail = http.get(f"/api/v1/groups/id/{group_id}", headers=admin)
        members = http.get(f"/api/v1/groups/id/{group_id}/members", headers=admin)

        assert detail.json()["member_count"] == 1
        assert members.status_code == 200, members.text
        assert [item["id"] for item in members.json()["items"]] == [member_id]
        assert members.json()["items"][0]["sources"] == ["manual"]
        assert members.json()["total"] == 1


def test_serve_creates_a_sqlite_file_in_the_default_data_dir(dialect: str, tmp_path: Path) -> None:
    if dialect != "sqlite":
        pytest.skip("the default database is a SQLite file")
    env = clean_environment()

    with (
        running_server(env, tmp_path, tmp_path / "serve.log") as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        signup = http.post(
            "/api/v1/auths/signup",
            json={"name": "Admin", "email": "admin@example.com", "password": "admin-pw"},
        )

    assert signup.status_code == 200, signup.text
    assert (tmp_path / "data" / "opengroups.db").is_file()
    assert (tmp_path / "data" / ".secret_key").is_file()
