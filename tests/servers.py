"""Start real ``opengroups serve`` processes for tests that need them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import FAST_PASSWORD_ENV

OPENGROUPS = str(Path(sys.executable).parent / "opengroups")
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_server(
    *, data_dir: Path, database_url: str | None, extra_env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run ``opengroups serve`` on a free port until the block ends; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGROUPS_")}
    env |= {"OPENGROUPS_DATA_DIR": str(data_dir), "OPENGROUPS_LOG_LEVEL": "warning"}
    env |= FAST_PASSWORD_ENV
    if database_url:
        env["OPENGROUPS_DATABASE_URL"] = database_url
    env |= extra_env or {}
    process = subprocess.Popen(
        [OPENGROUPS, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"opengroups serve exited with {process.returncode}: {stderr}")
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("opengroups serve did not answer /health in time")
            time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
