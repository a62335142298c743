"""Start a real Open WebUI 0.12.4, installed by ``scripts/install-openwebui.sh``, for the
interoperability test. It runs offline, on loopback, with its data in a folder of its own."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

HOME_ENV = "OPENGROUPS_OPENWEBUI_HOME"
DEFAULT_HOME = Path("/work/openwebui")
# A first start runs a hundred migrations and imports the whole chat product: about a minute.
START_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 30
# Nothing listens there: whatever would leave the machine is refused at once, on loopback.
NOWHERE = "http://127.0.0.1:9"


def executable() -> Path:
    """``open-webui`` in ``$OPENGROUPS_OPENWEBUI_HOME`` (default ``/work/openwebui``)."""
    home = Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)
    return home / "venv" / "bin" / "open-webui"


def environment(data_dir: Path, home: Path) -> dict[str, str]:
    """A small environment built from scratch, so no variable of this machine (a
    ``DATABASE_URL``, a proxy) changes how Open WebUI behaves."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DATA_DIR": str(data_dir),
        "WEBUI_SECRET_KEY": secrets.token_urlsafe(32),
        # Offline: no model downloads, no update check, no dependency installs.
        "OFFLINE_MODE": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ENABLE_OLLAMA_API": "false",
        "ENABLE_OPENAI_API": "false",
        # Set, so that start-up does not probe the default Ollama ports.
        "OLLAMA_BASE_URL": NOWHERE,
        "RAG_EMBEDDING_ENGINE": "openai",
        "BYPASS_EMBEDDING_AND_RETRIEVAL": "true",
        "ANONYMIZED_TELEMETRY": "false",
        "DO_NOT_TRACK": "true",
        "SCARF_NO_ANALYTICS": "true",
        # A last guard: any HTTP client that still tries the outside goes to NOWHERE.
        "HTTP_PROXY": NOWHERE,
        "HTTPS_PROXY": NOWHERE,
        "ALL_PROXY": NOWHERE,
        "NO_PROXY": "127.0.0.1,localhost",
    }


def _wait_until_ready(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Open WebUI exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(f"{base_url}/health", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"Open WebUI did not answer /health in {START_TIMEOUT_SECONDS}s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running_openwebui(workdir: Path) -> Iterator[str]:
    """Start ``open-webui serve`` on a free loopback port with its data in ``workdir``, yield
    its base URL once ``/health`` answers, then stop it (and whatever it started)."""
    data_dir, home = workdir / "data", workdir / "home"
    data_dir.mkdir(parents=True)
    home.mkdir()
    log = workdir / "openwebui.log"
    port = free_port()
    command = [str(executable()), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        # A session of its own: stopping its process group stops its helpers too.
        process = subprocess.Popen(
            command,
            env=environment(data_dir, home),
            cwd=workdir,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_ready(base_url, process, log)
            yield base_url
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
