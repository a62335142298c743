"""Smoke tests against a real ``opengroups serve`` process over real HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.servers import clean_environment, empty, running_server


def test_serve_answers_the_api_over_http(migrated: str, tmp_path: Path) -> None:
    empty(migrated)
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
    # The platform's data directory for the user (Linux: $XDG_DATA_HOME/opengroups), not the
    # working directory's ./data.
    env = clean_environment(XDG_DATA_HOME=str(tmp_path / "share"))
    workdir = tmp_path / "work"
    workdir.mkdir()

    with (
        running_server(env, workdir, tmp_path / "serve.log") as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        signup = http.post(
            "/api/v1/auths/signup",
            json={"name": "Admin", "email": "admin@example.com", "password": "admin-pw"},
        )

    assert signup.status_code == 200, signup.text
    assert (tmp_path / "share" / "opengroups" / "opengroups.db").is_file()
    assert (tmp_path / "share" / "opengroups" / ".secret_key").is_file()
    assert list(workdir.iterdir()) == []


def test_two_workers_start_and_serve(migrated: str, tmp_path: Path) -> None:
    # Each worker imports the command line first, then the app: both must be up before the
    # supervisor's health check gives up on them (which it did while they imported everything).
    empty(migrated)
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(tmp_path / "data"), OPENGROUPS_DATABASE_URL=migrated
    )
    log = tmp_path / "serve.log"

    with (
        running_server(env, tmp_path, log, workers=2) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        started = 0
        for _ in range(300):  # up to 30 s for the second worker
            started = log.read_text().count("Application startup complete")
            if started >= 2:
                break
            time.sleep(0.1)
        answers = [http.get("/health").json() for _ in range(20)]
        text = log.read_text()

    assert started == 2, text
    assert answers == [{"status": True}] * 20
    before_shutdown = text.split("Shutting down")[0]
    assert "died" not in before_shutdown, text
    assert "Terminated child" not in before_shutdown, text
