"""Helpers for the access-grant tests: short forms of the grant routes and a look at the
``access_grant`` rows themselves."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import text

from opengroups.kit.db import Database
from tests.conftest import Account, Api

GRANTS = "/api/v1/grants"


def grant(principal_type: str, principal_id: str, permission: str = "read") -> dict[str, str]:
    return {
        "principal_type": principal_type,
        "principal_id": principal_id,
        "permission": permission,
    }


async def put_grants(
    api: Api, resource: str, body: dict[str, Any], account: Account | None = None
) -> httpx.Response:
    """``PUT /grants/{resource}`` (``resource`` is ``type/id``) as ``account`` (the admin)."""
    account = account or await api.admin()
    return await api.client.put(f"{GRANTS}/{resource}", json=body, headers=account.headers)


async def set_grants(
    api: Api, resource: str, *grants: dict[str, str], account: Account | None = None
) -> dict[str, Any]:
    response = await put_grants(api, resource, {"grants": list(grants)}, account)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def may(
    api: Api,
    resource: str,
    user: Account,
    permission: str = "read",
    *,
    asker: Account | None = None,
) -> bool:
    """``has_access`` of ``user`` on ``resource``, asked by ``asker`` (the admin by default)."""
    response = await api.get(
        f"{GRANTS}/{resource}/access", asker, user_id=user.id, permission=permission
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user_id"] == user.id
    assert body["permission"] == permission
    return bool(body["allowed"])


def principals(body: dict[str, Any]) -> set[tuple[str, str, str]]:
    """The grants of a grants response as ``(principal_type, principal_id, permission)``."""
    return {(g["principal_type"], g["principal_id"], g["permission"]) for g in body["grants"]}


async def grant_rows(database: Database) -> set[tuple[str, str, str, str, str]]:
    """Every ``access_grant`` row as ``(type, id, principal_type, principal_id, permission)``."""
    async with database.session(write=False) as session:
        result = await session.execute(
            text(
                "SELECT resource_type, resource_id, principal_type, principal_id, permission "
                "FROM access_grant"
            )
        )
        return {(rt, rid, ptype, pid, perm) for rt, rid, ptype, pid, perm in result}
