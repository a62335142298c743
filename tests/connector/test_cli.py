"""``opengroups owui``: targets, plan and apply from the console."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from opengroups.cli.main import app as cli_app
from opengroups.kit.db import Database
from tests.conftest import FAST_PASSWORD_ENV, empty_database
from tests.connector.conftest import Target
from tests.servers import free_port


async def _empty(url: str) -> None:
    database = Database(url)
    try:
        await empty_database(database)
    finally:
        await database.dispose()


@pytest.fixture
def owui(migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    asyncio.run(_empty(migrated))
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "OPENGROUPS_DATA_DIR": str(tmp_path / "data"),
        "OPENGROUPS_DATABASE_URL": migrated,
        **FAST_PASSWORD_ENV,
    }.items():
        monkeypatch.setenv(key, value)
    return CliRunner()


def run(runner: CliRunner, *args: str, **env: str) -> Result:
    return runner.invoke(cli_app, ["owui", *args], env=env)


def test_targets_plan_and_apply(owui: CliRunner, target: Target) -> None:
    created = owui.invoke(cli_app, ["users", "create", "--email", "a@x.org", "--name", "A"])
    assert created.exit_code == 0, created.output
    assert (
        run(
            owui, "targets", "add", "chat", "--url", target.base_url, "--api-key-env", "K"
        ).exit_code
        == 2
    )
    added = run(
        owui,
        "targets",
        "add",
        "chat",
        "--url",
        target.base_url,
        "--api-key-env",
        "K",
        "--prefix",
        "x",
        K=target.api_key,
    )
    assert added.exit_code == 0, added.output
    assert target.api_key not in added.output
    listed = run(owui, "targets", "list")
    assert "chat" in listed.output
    assert "prefix:x" in listed.output
    planned = run(owui, "plan", "chat")
    assert planned.exit_code == 0, planned.output
    applied = run(owui, "apply", "chat")
    assert applied.exit_code == 0, applied.output
    assert run(owui, "plan", "chat").output.strip().endswith("no changes.")
    assert run(owui, "targets", "remove", "chat").exit_code == 0
    assert run(owui, "plan", "chat").exit_code == 2


def test_a_failing_target_exits_2(owui: CliRunner) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    added = run(owui, "targets", "add", "gone", "--url", url, "--api-key-env", "K", K="k")
    assert added.exit_code == 0, added.output
    assert run(owui, "plan", "gone").exit_code == 2
    applied = run(owui, "apply", "gone")
    assert applied.exit_code == 2
    assert "GET /api/v1/groups/" in applied.output
    assert "failed" in run(owui, "targets", "list").output
    assert (
        run(
            owui, "targets", "add", "bad", "--url", "ftp://x", "--api-key-env", "K", K="k"
        ).exit_code
        == 2
    )


def test_a_targets_settings_change(owui: CliRunner, target: Target) -> None:
    added = run(
        owui, "targets", "add", "chat", "--url", target.base_url, "--api-key-env", "K", K="wrong"
    )
    assert added.exit_code == 0, added.output
    assert "by hand" in added.output
    assert run(owui, "plan", "chat").exit_code == 2  # the key is refused

    changed = run(
        owui,
        "targets",
        "update",
        "chat",
        "--api-key-env",
        "K",
        "--reconcile-minutes",
        "15",
        "--create-missing-users",
        K=target.api_key,
    )
    assert changed.exit_code == 0, changed.output
    assert "every 15 min" in changed.output
    assert target.api_key not in changed.output
    assert run(owui, "plan", "chat").exit_code == 0

    by_hand = run(owui, "targets", "update", "chat", "--by-hand")
    assert by_hand.exit_code == 0, by_hand.output
    assert "by hand" in by_hand.output
    both = run(owui, "targets", "update", "chat", "--by-hand", "--reconcile-minutes", "5")
    assert both.exit_code == 2
    assert run(owui, "targets", "update", "nope", "--by-hand").exit_code == 2
