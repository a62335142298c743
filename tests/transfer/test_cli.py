"""``opengroups export`` and ``opengroups import`` as an operator runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from opengroups.kit.db import Database
from tests.commands import cli, run_cli
from tests.conftest import Api, empty_database

BUNDLE = {
    "format": "opengroups-bundle",
    "version": 1,
    "groups": [
        {
            "id": "p",
            "name": "Parent",
            "members": [{"email": "new.person@example.com", "name": "New"}],
        },
        {"id": "c", "name": "Child", "parent_group_id": "p", "members": []},
    ],
}


async def _empty_with_bundle(migrated: str, tmp_path: Path) -> Path:
    """Empty the database; the path of a file holding ``BUNDLE``."""
    database = Database(migrated)
    try:
        await empty_database(database)
    finally:
        await database.dispose()
    source = tmp_path / "bundle.json"
    source.write_text(json.dumps(BUNDLE))
    return source


async def test_cli_import_then_export_round_trip(migrated: str, tmp_path: Path) -> None:
    source = await _empty_with_bundle(migrated, tmp_path)

    dry = run_cli("import", str(source), "--dry-run", database_url=migrated, data_dir=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "dry run" in dry.stdout
    assert "new.person@example.com" in dry.stdout  # reported as unmatched

    real = run_cli(
        "import", str(source), "--create-missing-users", database_url=migrated, data_dir=tmp_path
    )
    assert real.returncode == 0, real.stderr
    assert "groups added" in real.stdout

    target = tmp_path / "out.json"
    exported = run_cli("export", str(target), database_url=migrated, data_dir=tmp_path)
    assert exported.returncode == 0, exported.stderr
    bundle = json.loads(target.read_text())
    assert [g["name"] for g in bundle["groups"]] == ["Parent", "Child"]
    assert bundle["groups"][0]["members"][0]["email"] == "new.person@example.com"

    again = run_cli("import", str(source), database_url=migrated, data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert re.search(r"groups unchanged\s*│\s*2\b", again.stdout), again.stdout

    bundle = json.loads(source.read_text())
    bundle["groups"][0]["description"] = "edited since"
    source.write_text(json.dumps(bundle))
    differs = run_cli(
        "import", str(source), "--policy", "fail", database_url=migrated, data_dir=tmp_path
    )
    assert differs.returncode == 2
    assert "differ from the bundle" in differs.stderr


def test_cli_import_of_a_bad_file_exits_2(migrated: str, tmp_path: Path) -> None:
    not_json = tmp_path / "broken.json"
    not_json.write_text("{ nope")
    result = run_cli("import", str(not_json), database_url=migrated, data_dir=tmp_path)
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr

    unknown = tmp_path / "future.json"
    unknown.write_text(json.dumps({"format": "opengroups-bundle", "version": 7, "groups": []}))
    result = run_cli("import", str(unknown), database_url=migrated, data_dir=tmp_path)
    assert result.returncode == 2
    assert "version" in result.stderr

    missing = run_cli(
        "import", str(tmp_path / "absent.json"), database_url=migrated, data_dir=tmp_path
    )
    assert missing.returncode == 2


async def test_after_an_import_of_accounts_the_first_sign_up_is_still_the_admin(
    api: Api, migrated: str, tmp_path: Path
) -> None:
    source = await _empty_with_bundle(migrated, tmp_path)
    imported = await cli(
        "import", str(source), "--create-missing-users", database_url=migrated, data_dir=tmp_path
    )
    assert imported.returncode == 0, imported.stderr

    signup = await api.client.post(
        "/api/v1/auths/signup",
        json={"name": "Owner", "email": "owner@example.com", "password": "owner-pw"},
    )
    later = await api.client.post(
        "/api/v1/auths/signup",
        json={"name": "Next", "email": "next@example.com", "password": "next-pw"},
    )

    assert signup.status_code == 200, signup.text
    assert signup.json()["role"] == "admin"
    assert later.json()["role"] == "pending"
