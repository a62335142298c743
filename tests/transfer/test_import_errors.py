"""Bad bundles: a 4xx naming the item, and nothing written."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from opengroups.kit.db import Database
from tests.conftest import Api, AppFactory, snapshot
from tests.transfer.conftest import import_bundle


def bundle(*groups: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"format": "opengroups-bundle", "version": 1, "groups": list(groups), **fields}


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        ({"format": "opengroups-bundle", "version": 99, "groups": []}, 422, ["version", "99"]),
        ({"format": "something-else", "version": 1}, 422, ["something-else"]),
        (bundle({"id": "a", "name": "A", "parent_group_id": "ghost"}), 422, ["'A'", "ghost"]),
        (
            bundle(
                {"id": "a", "name": "A", "parent_group_id": "b"},
                {"id": "b", "name": "B", "parent_group_id": "a"},
            ),
            422,
            ["cycle"],
        ),
        (
            bundle({"id": "a", "name": "A", "permissions": {"chat": {"nope": True}}}),
            422,
            ["'A'", "permissions.chat.nope"],
        ),
        (
            bundle({"id": "a", "name": "A", "permissions": {"chat": {"delete": "yes"}}}),
            422,
            ["permissions.chat.delete"],
        ),
        (bundle({"id": "a", "name": "A"}, {"id": "a", "name": "B"}), 422, ["twice"]),
        (bundle({"id": "a", "name": "Same"}, {"id": "b", "name": "SAME"}), 422, ["'SAME'"]),
        (
            bundle({"id": "a", "name": "A", "data": {"config": {"share": "sometimes"}}}),
            422,
            ["'A'", "share"],
        ),
        (bundle({"id": "a"}), 422, ["name"]),
        ([1, 2, 3], 422, ["bundle"]),
        (bundle(default_permissions={"chat": {"nope": True}}), 422, ["default_permissions"]),
    ],
)
async def test_bad_bundle_is_refused_and_writes_nothing(
    api: Api, database: Database, payload: Any, status: int, words: list[str]
) -> None:
    await api.admin()
    before = await snapshot(database)

    response = await import_bundle(api, payload)

    assert response.status_code == status, response.text
    detail = str(response.json()["detail"])
    for word in words:
        assert word in detail
    assert await snapshot(database) == before


async def test_a_body_that_is_not_json_is_422(api: Api, database: Database) -> None:
    admin = await api.admin()
    before = await snapshot(database)
    response = await api.client.post(
        "/api/v1/transfer/import",
        content=b"this is not json",
        headers={**admin.headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert await snapshot(database) == before


async def test_a_bundle_too_deep_is_refused(app_factory: AppFactory) -> None:
    app = await app_factory(max_group_depth=2)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        api = Api(client)
        response = await import_bundle(
            api,
            bundle(
                {"id": "a", "name": "A"},
                {"id": "b", "name": "B", "parent_group_id": "a"},
                {"id": "c", "name": "C", "parent_group_id": "b"},
            ),
        )
    assert response.status_code == 422
    assert "3 levels" in response.json()["detail"]


async def test_a_bundle_over_the_import_limit_is_413(app_factory: AppFactory) -> None:
    app = await app_factory(max_import_bytes=4096, max_body_bytes=2048)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        api = Api(client)
        groups = [
            {"id": f"g{i}", "name": f"group {i}", "description": "x" * 100} for i in range(60)
        ]
        too_big = await import_bundle(api, bundle(*groups))
        fits = await import_bundle(api, bundle(*groups[:20]))
    assert too_big.status_code == 413
    assert fits.status_code == 200  # larger than max_body_bytes: imports have their own limit


async def test_import_is_admin_only(api: Api) -> None:
    user = await api.user()
    response = await api.client.post("/api/v1/transfer/import", json=bundle(), headers=user.headers)
    assert response.status_code == 403


async def test_a_rename_onto_another_groups_name_is_409(api: Api, database: Database) -> None:
    first = await api.group("First")
    await api.group("Second")
    before = await snapshot(database)
    response = await import_bundle(
        api, bundle({"id": first["id"], "name": "second"}), policy="overwrite"
    )
    assert response.status_code == 409
    assert await snapshot(database) == before
