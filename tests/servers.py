"""Start real ``opengroups serve`` processes for tests that need them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from opengroups.kit.db import Database
from tests.conftest import FAST_PASSWORD_ENV, empty_database

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
    return {**env, **FAST_PASSWORD_ENV, "COLUMNS": "200", **settings}


async def _empty_async(url: str) -> None:
    database = Database(url)
    try:
        await empty_database(database)
    finally:
        await database.dispose()


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
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
def running_server(env: dict[str, str], cwd: Path, log: Path, *, workers: int = 1) -> Iterator[str]:
    """Start ``opengroups serve`` on a free port, yield its base URL once healthy, then stop it
    and check that it shut down cleanly."""
    port = free_port()
    command = [OPENGROUPS, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--workers", str(workers)],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(base_url, process, log)
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


def empty(url: str) -> None:
    """Empty the database at ``url`` from a synchronous test. It runs in a thread of its own,
    because some sync tests have an event loop running in theirs (Playwright's)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _empty_async(url)).result()
