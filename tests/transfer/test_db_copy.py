"""``opengroups db copy``: everything moves from one database to another, SQLite and
PostgreSQL either way, and the copy works as the original did."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from opengroups.dbcopy import _tables
from opengroups.kit.db import create_engine
from tests.commands import cli
from tests.conftest import Api
from tests.servers import clean_environment, running_server


async def _fill(api: Api) -> str:
    """An instance with a bit of everything; the admin's API key."""
    admin = await api.admin()
    staff = await api.group("Staff", permissions={"chat": {"delete": True}})
    team = await api.group("Team", parent_group_id=staff["id"], data={"config": {"share": True}})
    alice, bob = await api.user(name="Alice"), await api.user(name="Bob")
    await api.add(team["id"], alice.id, bob.id)
    await api.add(staff["id"], bob.id)
    await api.post("/api/v1/auths/admin/config", {"DEFAULT_GROUP_ID": staff["id"]})
    await api.user(name="Carol")  # joins the default group: a second source
    await api.post("/api/v1/users/default/permissions", {"chat": {"edit": False}})
    grants = {
        "grants": [{"principal_type": "group", "principal_id": team["id"], "permission": "read"}]
    }
    response = await api.client.put("/api/v1/grants/model/m1", json=grants, headers=admin.headers)
    assert response.status_code == 200, response.text
    key = await api.client.post("/api/v1/auths/api_key", headers=admin.headers)
    assert key.status_code == 200, key.text
    api_key: str = key.json()["api_key"]
    return api_key


async def _rows(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                table.name: [
                    dict(row)
                    for row in (
                        await connection.execute(
                            select(table).order_by(*(table.primary_key.columns or table.columns))
                        )
                    ).mappings()
                ]
                for table in _tables()
            }
    finally:
        await engine.dispose()


async def _fresh_database(url: str, suffix: str, tmp_path: Path) -> str:
    """An empty database of the same kind as ``url``."""
    if not url.startswith("postgresql"):
        return f"sqlite+aiosqlite:///{tmp_path / f'{suffix}.db'}"
    server, name = url.rsplit("/", 1)
    copy = f"{name}_{suffix}"
    admin: AsyncEngine = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{copy}"')
            await connection.exec_driver_sql(f'CREATE DATABASE "{copy}"')
    finally:
        await admin.dispose()
    return f"{server}/{copy}"


async def test_a_copy_there_and_back_equals_the_original_and_signs_in(
    api: Api, migrated: str, tmp_path: Path
) -> None:
    api_key = await _fill(api)
    original = await _rows(migrated)
    assert all(original[table] for table in ("user", "group", "group_member", "audit_event"))
    there = f"sqlite+aiosqlite:///{tmp_path / 'there.db'}"
    back = await _fresh_database(migrated, "back", tmp_path)

    first = await cli("db", "copy", "--to", there, database_url=migrated, data_dir=tmp_path)
    second = await cli("db", "copy", "--to", back, database_url=there, data_dir=tmp_path)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert "Copied" in first.stdout
    assert await _rows(there) == original
    assert await _rows(back) == original

    env = clean_environment(OPENGROUPS_DATA_DIR=str(tmp_path / "d"), OPENGROUPS_DATABASE_URL=back)
    with running_server(env, tmp_path, tmp_path / "serve.log") as base_url:
        async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
            signin = await http.post(
                "/api/v1/auths/signin", json={"email": "admin@example.com", "password": "admin-pw"}
            )
            by_key = await http.get(
                "/api/v1/auths/", headers={"Authorization": f"Bearer {api_key}"}
            )
            groups = await http.get(
                "/api/v1/groups/", headers={"Authorization": f"Bearer {signin.json()['token']}"}
            )
            created = await http.post(
                "/api/v1/groups/create",
                json={"name": "After the move"},
                headers={"Authorization": f"Bearer {api_key}"},
            )
    assert signin.status_code == 200, signin.text
    assert by_key.json()["email"] == "admin@example.com"
    assert {g["name"]: g["member_count"] for g in groups.json()} == {"Staff": 2, "Team": 2}
    assert created.status_code == 200, created.text  # ids and sequences continue


async def test_a_target_holding_data_is_refused_unless_overwrite(
    api: Api, migrated: str, tmp_path: Path
) -> None:
    await _fill(api)
    target = f"sqlite+aiosqlite:///{tmp_path / 'target.db'}"
    first = await cli("db", "copy", "--to", target, database_url=migrated, data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    before = await _rows(target)

    again = await cli("db", "copy", "--to", target, database_url=migrated, data_dir=tmp_path)
    assert again.returncode == 2
    assert "holds data" in again.stderr
    assert await _rows(target) == before

    await api.group("Later")
    replaced = await cli(
        "db", "copy", "--to", target, "--overwrite", database_url=migrated, data_dir=tmp_path
    )
    assert replaced.returncode == 0, replaced.stderr
    assert await _rows(target) == await _rows(migrated)
