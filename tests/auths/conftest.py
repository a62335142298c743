"""Helpers for the auths tests: apps started with custom settings, rows read behind the API's
back, and a check that a refused request wrote nothing."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from opengroups.kit.db import Database
from opengroups.schemas_common import PROFILE_FIELDS
from tests.conftest import Api

AUTHS = "/api/v1/auths"
SECRET_KEY = "test-secret-key-that-is-long-enough-for-hs256"  # as tests/conftest.py's settings

SESSION_FIELDS = {
    "token",
    "token_type",
    "expires_at",
    "id",
    "email",
    "name",
    "role",
    "profile_image_url",
    "permissions",
    *PROFILE_FIELDS,  # Open WebUI 0.12.4's profile and status fields
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def user_row(database: Database, user_id: str) -> dict[str, Any]:
    """The stored ``user`` row, read with plain SQL."""
    async with database.session(write=False) as session:
        result = await session.execute(text('SELECT * FROM "user" WHERE id = :id'), {"id": user_id})
        return dict(result.mappings().one())


async def signup(client: httpx.AsyncClient, email: str, password: str = "pw") -> httpx.Response:
    return await client.post(
        f"{AUTHS}/signup", json={"name": email.split("@")[0], "email": email, "password": password}
    )


async def members_of(api: Api, group_id: str) -> dict[str, list[str]]:
    """``{user_id: sources}`` of a group's direct members."""
    response = await api.get(f"/api/v1/groups/id/{group_id}/members", membership="direct")
    assert response.status_code == 200, response.text
    return {item["id"]: item["sources"] for item in response.json()["items"]}
