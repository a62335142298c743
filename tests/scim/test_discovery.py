"""Discovery (RFC 7644 §4) and the SCIM application's own answers."""

from __future__ import annotations

import pytest

from tests.scim.conftest import SCIM_MEDIA_TYPE, Scim, scim_error

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


async def test_service_provider_config(scim: Scim) -> None:
    response = await scim.get("/ServiceProviderConfig")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(SCIM_MEDIA_TYPE)
    body = response.json()
    assert body["patch"]["supported"] is True
    assert body["filter"]["supported"] is True
    assert body["etag"]["supported"] is True
    assert body["bulk"]["supported"] is False
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/ResourceTypes", {"User", "Group"}),
        (
            "/Schemas",
            {
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:core:2.0:Group",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            },
        ),
    ],
)
async def test_discovery_lists_are_list_responses(
    scim: Scim, path: str, expected: set[str]
) -> None:
    response = await scim.get(path)
    body = response.json()
    assert body["schemas"] == [LIST]
    assert body["totalResults"] == len(expected)
    assert {item["id"] for item in body["Resources"]} == expected
    for item in body["Resources"]:
        one = await scim.get(f"{path}/{item['id']}")
        assert one.status_code == 200
        assert one.json() == item
    scim_error(await scim.get(f"{path}/Nope"), 404)


@pytest.mark.parametrize("path", ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"])
async def test_discovery_refuses_writes(scim: Scim, path: str) -> None:
    response = await scim.post(path, {})
    scim_error(response, 405)
    assert "GET" in response.headers["allow"]


async def test_unknown_paths_are_scim_404s(scim: Scim) -> None:
    scim_error(await scim.get("/Nothing/here"), 404)
