"""``opengroups ldap sync``, in-process on the test database (the command runs its own
``asyncio.run``, so these tests are plain functions)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from opengroups.cli.main import app as cli_app
from opengroups.kit.db import Database
from tests.conftest import FAST_PASSWORD_ENV, empty_database, snapshot
from tests.identity.ldap.conftest import BIG, ldap_config, ldap_memberships
from tests.identity.ldap.slapd import Slapd

Invoke = Callable[..., Result]


async def _empty(url: str) -> None:
    database = Database(url)
    try:
        await empty_database(database)
    finally:
        await database.dispose()


def _state(url: str) -> dict[str, list[tuple[Any, ...]]]:
    async def read() -> dict[str, list[tuple[Any, ...]]]:
        database = Database(url)
        try:
            return await snapshot(database)
        finally:
            await database.dispose()

    return asyncio.run(read())


def _held(url: str) -> dict[str, set[str]]:
    async def read() -> dict[str, set[str]]:
        database = Database(url)
        try:
            return await ldap_memberships(database)
        finally:
            await database.dispose()

    return asyncio.run(read())


@pytest.fixture
def invoke(migrated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """``invoke(config, "ldap", "sync")`` on an emptied database; ``config``: the ``ldap``
    settings to write into the identity providers' file (None: no file)."""
    asyncio.run(_empty(migrated))
    monkeypatch.chdir(tmp_path)
    env = {
        "OPENGROUPS_DATA_DIR": str(tmp_path / "data"),
        "OPENGROUPS_DATABASE_URL": migrated,
        "COLUMNS": "200",
        **FAST_PASSWORD_ENV,
    }
    runner = CliRunner()

    def run(config: dict[str, Any] | None, *args: str) -> Result:
        settings = dict(env)
        if config is not None:
            path = tmp_path / "identity.yaml"
            path.write_text(yaml.safe_dump({"ldap": config}), encoding="utf-8")
            settings["OPENGROUPS_IDENTITY_PROVIDERS"] = str(path)
        return runner.invoke(cli_app, list(args), env=settings)

    return run


def test_a_dry_run_writes_nothing_and_shows_the_plan(
    slapd: Slapd, invoke: Invoke, migrated: str
) -> None:
    before = _state(migrated)

    result = invoke(ldap_config(slapd, BIG), "ldap", "sync", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "dry run" in result.output
    assert any("accounts created" in line and "1000" in line for line in result.output.splitlines())
    assert _state(migrated) == before


def test_a_sync_applies_the_directory(slapd: Slapd, invoke: Invoke, migrated: str) -> None:
    result = invoke(ldap_config(slapd, BIG), "ldap", "sync")

    assert result.exit_code == 0, result.output
    held = _held(migrated)
    assert {name: held[name] for name in BIG.groups} == BIG.effective()


def test_the_cli_exits_2_when_slapd_is_down(tmp_path: Path, invoke: Invoke, migrated: str) -> None:
    server = Slapd(tmp_path / "down")
    server.configure()
    server.start()
    url = server.url
    server.stop()
    before = _state(migrated)

    result = invoke(ldap_config(url, BIG), "ldap", "sync")

    assert result.exit_code == 2, result.output
    assert "could not be read completely" in result.output
    after = _state(migrated)
    assert len(after['"audit_event"']) == len(before['"audit_event"']) + 1  # the problem
    assert {k: v for k, v in after.items() if k != '"audit_event"'} == {
        k: v for k, v in before.items() if k != '"audit_event"'
    }


def test_the_cli_exits_2_when_ldap_is_not_configured(invoke: Invoke) -> None:
    result = invoke(None, "ldap", "sync")

    assert result.exit_code == 2
    assert "No LDAP directory is configured" in result.output
