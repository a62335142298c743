"""Two server processes on one database: a change made through one is seen by the other on its
very next request, for the users it affects, while everyone else stays cached."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update

from opengroups.kit.db import Database
from opengroups.models import Group
from tests.conftest import empty_database
from tests.servers import clean_environment, running_server

SECRET = "shared-secret-for-two-processes-0123456789"


@asynccontextmanager
async def two_servers(
    migrated: str, tmp_path: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]]]:
    """Two ``opengroups serve`` processes on the emptied database: clients on A and on B, and
    the headers of the admin signed up through A."""
    database = Database(migrated)
    try:
        await empty_database(database)
    finally:
        await database.dispose()

    def env(name: str) -> dict[str, str]:
        return clean_environment(
            OPENGROUPS_SECRET_KEY=SECRET,
            OPENGROUPS_DATABASE_URL=migrated,
            OPENGROUPS_DATA_DIR=str(tmp_path / name),
        )

    with (
        running_server(env("a"), tmp_path, tmp_path / "a.log") as url_a,
        running_server(env("b"), tmp_path, tmp_path / "b.log") as url_b,
    ):
        async with httpx.AsyncClient(base_url=url_a) as a, httpx.AsyncClient(base_url=url_b) as b:
            admin = (
                await a.post(
                    "/api/v1/auths/signup",
                    json={"name": "Admin", "email": "admin@example.com", "password": "pw"},
                )
            ).json()
            yield a, b, {"Authorization": f"Bearer {admin['token']}"}


async def test_membership_change_in_one_process_is_seen_by_the_other(
    migrated: str, tmp_path: Path
) -> None:
    async with two_servers(migrated, tmp_path) as (a, b, admin_headers):
        user = (
            await a.post(
                "/api/v1/auths/add",
                json={"name": "U", "email": "u@example.com", "password": "pw", "role": "user"},
                headers=admin_headers,
            )
        ).json()
        user_headers = {"Authorization": f"Bearer {user['token']}"}
        group = (
            await a.post(
                "/api/v1/groups/create",
                json={"name": "Analysts", "permissions": {"features": {"api_keys": True}}},
                headers=admin_headers,
            )
        ).json()

        async def api_keys_on_b() -> bool:
            response = await b.get("/api/v1/users/permissions", headers=user_headers)
            assert response.status_code == 200, response.text
            return bool(response.json()["features"]["api_keys"])

        assert await api_keys_on_b() is False  # B computes and caches
        assert await api_keys_on_b() is False  # B answers from its cache

        added = await a.post(
            f"/api/v1/groups/id/{group['id']}/users/add",
            json={"user_ids": [user["id"]]},
            headers=admin_headers,
        )
        assert added.status_code == 200
        assert await api_keys_on_b() is True  # the very next request on B

        changed = await a.post(
            f"/api/v1/groups/id/{group['id']}/update",
            json={"permissions": {}},
            headers=admin_headers,
        )
        assert changed.status_code == 200
        assert await api_keys_on_b() is False

        await a.post(
            f"/api/v1/groups/id/{group['id']}/update",
            json={"permissions": {"features": {"api_keys": True}}},
            headers=admin_headers,
        )
        assert await api_keys_on_b() is True
        removed = await a.post(
            f"/api/v1/groups/id/{group['id']}/users/remove",
            json={"user_ids": [user["id"]]},
            headers=admin_headers,
        )
        assert removed.status_code == 200
        assert await api_keys_on_b() is False


async def test_a_membership_change_leaves_other_users_cached_in_the_other_process(
    migrated: str, tmp_path: Path
) -> None:
    """Targeted invalidation across processes: B keeps serving the cached permissions of a user
    the change in A does not touch, while the user it does touch is fresh at once on B.

    To see that B did not recompute the untouched user, that user's group is changed behind
    the service's back (straight SQL: no revision, nothing logged): only a recomputation would
    notice."""
    async with two_servers(migrated, tmp_path) as (a, b, admin_headers):

        async def account(email: str) -> tuple[str, dict[str, str]]:
            body = (
                await a.post(
                    "/api/v1/auths/add",
                    json={"name": email, "email": email, "password": "pw", "role": "user"},
                    headers=admin_headers,
                )
            ).json()
            return body["id"], {"Authorization": f"Bearer {body['token']}"}

        async def group(name: str, permissions: dict[str, Any]) -> str:
            body = (
                await a.post(
                    "/api/v1/groups/create",
                    json={"name": name, "permissions": permissions},
                    headers=admin_headers,
                )
            ).json()
            return str(body["id"])

        async def add(group_id: str, user_id: str) -> None:
            response = await a.post(
                f"/api/v1/groups/id/{group_id}/users/add",
                json={"user_ids": [user_id]},
                headers=admin_headers,
            )
            assert response.status_code == 200, response.text

        async def on_b(headers: dict[str, str], section: str, key: str) -> bool:
            response = await b.get("/api/v1/users/permissions", headers=headers)
            assert response.status_code == 200, response.text
            return bool(response.json()[section][key])

        keys = await group("Keys", {"features": {"api_keys": True}})
        modelers = await group("Modelers", {"workspace": {"models": True}})
        outsider, outsider_headers = await account("outsider@example.com")
        joiner, joiner_headers = await account("joiner@example.com")
        await add(modelers, outsider)
        assert await on_b(outsider_headers, "workspace", "models") is True  # cached on B
        assert await on_b(joiner_headers, "features", "api_keys") is False  # cached on B

        database = Database(migrated)
        try:
            async with database.session() as session:  # behind the services' back
                await session.execute(
                    update(Group).where(Group.id == modelers).values(permissions={})
                )
        finally:
            await database.dispose()
        await add(keys, joiner)  # a change in another group, through A

        assert await on_b(joiner_headers, "features", "api_keys") is True  # touched: fresh
        assert await on_b(outsider_headers, "workspace", "models") is True  # kept

        await add(keys, outsider)  # now the outsider is touched too
        assert await on_b(outsider_headers, "features", "api_keys") is True
        assert await on_b(outsider_headers, "workspace", "models") is False  # recomputed
