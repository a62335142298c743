from __future__ import annotations

import httpx

from opengroups import __version__


async def test_health_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": True}


async def test_version_is_the_package_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/version")
    assert response.json() == {"version": __version__}


async def test_openapi_document_lists_compatible_routes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in (
        "/api/v1/groups/",
        "/api/v1/groups/create",
        "/api/v1/groups/id/{group_id}/members",
        "/api/v1/auths/signup",
        "/api/v1/users/{user_id}",
    ):
        assert path in paths
