"""A provisioning client of the test app, speaking SCIM as identity providers do."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Api

SCIM_MEDIA_TYPE = "application/scim+json"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class Scim:
    """SCIM requests under ``/scim/v2`` with one client's bearer token."""

    def __init__(self, client: httpx.AsyncClient, token: str, client_id: str) -> None:
        self.client = client
        self.token = token
        self.id = client_id
        self.root = "/scim/v2"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Content-Type": SCIM_MEDIA_TYPE}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(self.root + path, params=params, headers=self.headers)

    async def post(self, path: str, body: Any) -> httpx.Response:
        return await self.client.post(self.root + path, json=body, headers=self.headers)

    async def put(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return await self.client.put(self.root + path, json=body, headers=self.headers | headers)

    async def patch(self, path: str, *operations: dict[str, Any], **headers: str) -> httpx.Response:
        body = {"schemas": [PATCH_OP], "Operations": list(operations)}
        return await self.client.patch(self.root + path, json=body, headers=self.headers | headers)

    async def delete(self, path: str, **headers: str) -> httpx.Response:
        return await self.client.delete(self.root + path, headers=self.headers | headers)

    async def user(self, user_name: str, **fields: Any) -> dict[str, Any]:
        response = await self.post(
            "/Users", {"schemas": [USER_SCHEMA], "userName": user_name, **fields}
        )
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    async def group(self, name: str, *member_ids: str, **fields: Any) -> dict[str, Any]:
        members = [{"value": member_id} for member_id in member_ids]
        body = {"schemas": [GROUP_SCHEMA], "displayName": name, **fields}
        if members:
            body["members"] = members
        response = await self.post("/Groups", body)
        assert response.status_code == 201, response.text
        found: dict[str, Any] = response.json()
        return found


async def new_client(api: Api, name: str = "Entra ID") -> Scim:
    response = await api.post("/api/v1/scim/clients", {"name": name})
    assert response.status_code == 200, response.text
    body = response.json()
    return Scim(api.client, body["token"], body["id"])


@pytest.fixture
async def scim(api: Api) -> Scim:
    return await new_client(api)


def scim_error(response: httpx.Response, status: int, scim_type: str | None = None) -> str:
    """Assert a SCIM error (RFC 7644 §3.12) and return its detail."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(SCIM_MEDIA_TYPE)
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    detail: str = body["detail"]
    return detail


def ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {resource["id"] for resource in response.json()["Resources"]}
