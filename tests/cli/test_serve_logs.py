"""``opengroups serve`` with ``OPENGROUPS_LOG_FORMAT=json``: every line of its output is one
JSON object (uvicorn's own included), the start-up line names what the server uses, and each
request gets exactly one access line carrying the id sent back in ``X-Request-ID``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from opengroups import __version__
from opengroups.config import display_url
from tests.servers import clean_environment, empty, running_server


def test_json_logs_have_one_access_line_per_request_with_its_id(
    migrated: str, tmp_path: Path
) -> None:
    empty(migrated)
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(tmp_path / "data"),
        OPENGROUPS_DATABASE_URL=migrated,
        OPENGROUPS_LOG_FORMAT="json",
        OPENGROUPS_MAX_BODY_BYTES="1024",
    )
    log = tmp_path / "serve.log"

    with (
        running_server(env, tmp_path, log) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        given = http.get("/health?token=not-for-logs", headers={"X-Request-ID": "given-id-1"})
        refused = http.get("/api/v1/groups/")
        too_large = http.post(
            "/api/v1/auths/signin",
            content=b"x" * 4096,
            headers={"content-type": "application/json"},
        )
    # Read once the server has stopped: every line is written by then.
    text = log.read_text()

    lines: list[dict[str, Any]] = [json.loads(line) for line in text.splitlines()]
    assert all(line["ts"].endswith("Z") and line["level"] for line in lines)

    def access(response: httpx.Response) -> dict[str, Any]:
        request_id = response.headers["x-request-id"]
        found = [
            line
            for line in lines
            if line["logger"] == "opengroups.access" and line.get("request_id") == request_id
        ]
        assert len(found) == 1, text
        return found[0]

    assert given.headers["x-request-id"] == "given-id-1"
    for response, method, path, status in (
        (given, "GET", "/health", 200),
        (refused, "GET", "/api/v1/groups/", 401),
        (too_large, "POST", "/api/v1/auths/signin", 413),
    ):
        assert response.status_code == status
        line = access(response)
        assert (line["method"], line["path"], line["status"]) == (method, path, status)
        assert line["level"] == "info"
        assert line["duration_ms"] >= 0
    assert "not-for-logs" not in text

    [started] = [line for line in lines if line["logger"] == "opengroups"]
    assert started["version"] == __version__
    assert (started["api_url"], started["admin_url"], started["docs_url"]) == (
        base_url,
        f"{base_url}/admin",
        f"{base_url}/docs",
    )
    assert started["database"] == display_url(migrated)
    assert started["data_dir"] == str(tmp_path / "data")
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # the server's, as JSON
