"""Start a real Open WebUI 0.12.4, installed by ``scripts/install-openwebui.sh``, for the
interoperability tests. It runs offline, on loopback, with its data in a folder of its own, in
the environment ``scripts/openwebui.env`` lists (which ``scripts/openwebui.sh`` uses too)."""

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
ENVIRONMENT_FILE = Path(__file__).parents[2] / "scripts" / "openwebui.env"
# A first start runs a hundred migrations and imports the whole chat product: about a minute.
START_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 30


def executable() -> Path:
    """``open-webui`` in ``$OPENGROUPS_OPENWEBUI_HOME`` (default ``/work/openwebui``)."""
    home = Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)
    return home / "venv" / "bin" / "open-webui"


def fixed_environment() -> dict[str, str]:
    """The variables of ``scripts/openwebui.env``, in order."""
    found: dict[str, str] = {}
    for line in ENVIRONMENT_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, separator, value = line.partition("=")
            assert separator, f"{ENVIRONMENT_FILE}: not KEY=VALUE: {line!r}"
            found[key] = value
    return found


def environment(data_dir: Path, home: Path, secret_key: str | None = None) -> dict[str, str]:
    """A small environment built from scratch (``scripts/openwebui.env`` and four variables of
    this run), so no variable of this machine changes how Open WebUI behaves."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DATA_DIR": str(data_dir),
        "WEBUI_SECRET_KEY": secret_key or secrets.token_urlsafe(32),
        **fixed_environment(),
    }


def _tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


class OpenWebUI:
    """``open-webui serve`` on a loopback port with its data in ``workdir``: the port, the data
    and the secret key stay the same across ``stop`` and ``start``, as a restarted instance
    keeps them."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.data_dir, self.home = workdir / "data", workdir / "home"
        self.data_dir.mkdir(parents=True)
        self.home.mkdir()
        self.log = workdir / "openwebui.log"
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._secret_key = secrets.token_urlsafe(32)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start it and wait until ``/health`` answers (fails the test if it does not)."""
        assert self._process is None, "already started"
        command = [str(executable()), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("ab") as output:
            # A session of its own: stopping its process group stops its helpers too.
            self._process = subprocess.Popen(
                command,
                env=environment(self.data_dir, self.home, self._secret_key),
                cwd=self.workdir,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self._wait_until_ready(self._process)
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"Open WebUI exited with {process.returncode}:\n{_tail(self.log)}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        pytest.fail(
            f"Open WebUI did not answer /health in {START_TIMEOUT_SECONDS}s:\n{_tail(self.log)}"
        )

    def stop(self) -> None:
        """Stop it and whatever it started (nothing happens if it is not running)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def openwebui_server(workdir: Path) -> Iterator[OpenWebUI]:
    """A started ``OpenWebUI`` on a fresh data folder in ``workdir``, stopped at the end."""
    server = OpenWebUI(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def running_openwebui(workdir: Path) -> Iterator[str]:
    """Start ``open-webui serve`` on a free loopback port with its data in ``workdir``, yield
    its base URL once ``/health`` answers, then stop it (and whatever it started)."""
    with openwebui_server(workdir) as server:
        yield server.base_url
