"""Bad input is refused with the right status, and a refused request writes nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from opengroups.kit.db import Database
from tests.conftest import Api, StartApi, refused
from tests.groups.conftest import GROUPS, group_path

TOO_MANY_USER_IDS = [f"user-{n}" for n in range(10_001)]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"name": 5}, 422, id="name-not-a-string"),
        pytest.param({"name": None}, 422, id="name-null"),
        pytest.param({}, 422, id="name-missing"),
        pytest.param({"name": "   "}, 422, id="name-blank"),
        pytest.param({"name": "x" * 256}, 422, id="name-too-long"),
        pytest.param({"name": "ok", "description": "x" * 10_001}, 422, id="description-too-long"),
        pytest.param({"name": "ok", "description": 7}, 422, id="description-not-a-string"),
        pytest.param({"name": "ok", "permissions": "all"}, 422, id="permissions-not-an-object"),
        pytest.param({"name": "ok", "data": "x"}, 422, id="data-not-an-object"),
        pytest.param({"name": "ok", "data": {"config": "x"}}, 422, id="config-not-an-object"),
        pytest.param({"name": "ok", "data": {"config": {"share": "maybe"}}}, 422, id="share-word"),
        pytest.param({"name": "ok", "data": {"config": {"share": 5}}}, 422, id="share-number"),
        pytest.param(
            {"name": "ok", "data": {"config": {"default_models": ["a", "  "]}}},
            422,
            id="default-model-blank",
        ),
        pytest.param(
            {"name": "ok", "data": {"config": {"default_models": "a"}}},
            422,
            id="default-models-not-a-list",
        ),
        pytest.param(["ok"], 422, id="body-a-list"),
        pytest.param({"name": "ok", "parent_group_id": ""}, 400, id="parent-empty"),
        pytest.param({"name": "ok", "parent_group_id": "  "}, 400, id="parent-blank"),
        pytest.param({"name": "ok", "parent_group_id": "no-such-group"}, 404, id="parent-unknown"),
    ],
)
async def test_create_refuses_bad_input(
    api: Api, database: Database, body: Any, status: int
) -> None:
    await api.group("Existing")

    response = await refused(database, api.post(f"{GROUPS}/create", body), status)

    if status == 422:
        assert isinstance(response.json()["detail"], list)
    else:
        assert isinstance(response.json()["detail"], str)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param({"name": 5}, 422, id="name-not-a-string"),
        pytest.param({"name": "   "}, 422, id="name-blank"),
        pytest.param({"name": "x" * 256}, 422, id="name-too-long"),
        pytest.param({"description": "x" * 10_001}, 422, id="description-too-long"),
        pytest.param({"data": {"config": {"share": "sometimes"}}}, 422, id="share-word"),
        pytest.param({"parent_group_id": ""}, 400, id="parent-empty"),
        pytest.param({"parent_group_id": "no-such-group"}, 404, id="parent-unknown"),
    ],
)
async def test_update_refuses_bad_input(
    api: Api, database: Database, body: dict[str, Any], status: int
) -> None:
    group = await api.group("Existing", description="kept")

    await refused(database, api.post(group_path(group["id"], "/update"), body), status)


async def test_longest_name_and_description_are_accepted(api: Api) -> None:
    group = await api.group("x" * 255, description="d" * 10_000)

    assert len(group["name"]) == 255
    assert len(group["description"]) == 10_000


@pytest.mark.parametrize("route", ["/create", "/update", "/users/add"])
async def test_malformed_json_is_422(api: Api, database: Database, route: str) -> None:
    admin = await api.admin()
    group = await api.group("Existing")
    path = f"{GROUPS}/create" if route == "/create" else group_path(group["id"], route)

    request = api.client.post(
        path,
        content=b"{not json",
        headers={**admin.headers, "Content-Type": "application/json"},
    )

    await refused(database, request, 422)


@pytest.mark.parametrize(
    "name", ["ENGINEERING", "engineering", "  Engineering  ", "EnGiNeErInG"], ids=str.strip
)
async def test_duplicate_name_is_409_on_create(api: Api, database: Database, name: str) -> None:
    await api.group("Engineering")

    response = await refused(database, api.post(f"{GROUPS}/create", {"name": name}), 409)

    assert "already exists" in response.json()["detail"]


async def test_names_compare_by_unicode_casefold(api: Api, database: Database) -> None:
    await api.group("Straße")

    await refused(database, api.post(f"{GROUPS}/create", {"name": "STRASSE"}), 409)


async def test_duplicate_name_is_409_on_rename(api: Api, database: Database) -> None:
    await api.group("Engineering")
    other = await api.group("Sales")

    await refused(
        database, api.post(group_path(other["id"], "/update"), {"name": "eNgInEeRiNg"}), 409
    )


@pytest.mark.parametrize("action", ["add", "remove"])
async def test_too_many_user_ids_is_422(api: Api, database: Database, action: str) -> None:
    group = await api.group("Crowded")

    response = await refused(
        database,
        api.post(group_path(group["id"], f"/users/{action}"), {"user_ids": TOO_MANY_USER_IDS}),
        422,
    )

    assert response.json()["detail"][0]["type"] == "too_long"


@pytest.mark.parametrize("body", [{"user_ids": "abc"}, {"user_ids": [1, 2]}, []])
async def test_user_ids_of_the_wrong_type_are_422(api: Api, database: Database, body: Any) -> None:
    group = await api.group("Typed")

    await refused(database, api.post(group_path(group["id"], "/users/add"), body), 422)


async def test_unknown_users_in_add_are_named_and_nothing_is_added(
    api: Api, database: Database
) -> None:
    group = await api.group("Team")
    known = await api.user()

    response = await refused(
        database,
        api.post(
            group_path(group["id"], "/users/add"),
            {"user_ids": [known.id, "ghost-b", "ghost-a"]},
        ),
        422,
    )

    detail = response.json()["detail"]
    assert "ghost-a" in detail
    assert "ghost-b" in detail
    assert known.id not in detail
    assert (await api.get(group_path(group["id"]))).json()["member_count"] == 0


async def test_unknown_users_in_remove_are_named_and_nothing_is_removed(
    api: Api, database: Database
) -> None:
    group = await api.group("Team")
    member = await api.user()
    await api.add(group["id"], member.id)

    response = await refused(
        database,
        api.post(group_path(group["id"], "/users/remove"), {"user_ids": [member.id, "ghost"]}),
        422,
    )

    assert "ghost" in response.json()["detail"]
    assert (await api.get(group_path(group["id"]))).json()["member_count"] == 1


@pytest.fixture
async def small_body_api(start_api: StartApi) -> tuple[Api, Database]:
    started = await start_api(max_body_bytes=2048)
    await started.api.admin()
    return started.api, started.database


def _big_create_body() -> bytes:
    body = json.dumps({"name": "Big", "description": "x" * 4_950}).encode()
    assert len(body) >= 4_950
    return body


async def test_body_over_the_limit_is_413(small_body_api: tuple[Api, Database]) -> None:
    api, database = small_body_api
    admin = await api.admin()

    request = api.client.post(
        f"{GROUPS}/create",
        content=_big_create_body(),
        headers={**admin.headers, "Content-Type": "application/json"},
    )

    response = await refused(database, request, 413)
    assert "limit" in response.json()["detail"]


async def test_chunked_body_over_the_limit_is_413(small_body_api: tuple[Api, Database]) -> None:
    api, database = small_body_api
    admin = await api.admin()
    body = _big_create_body()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    request = api.client.post(
        f"{GROUPS}/create",
        content=chunks(),
        headers={**admin.headers, "Content-Type": "application/json"},
    )

    await refused(database, request, 413)


async def test_body_under_the_limit_is_accepted(small_body_api: tuple[Api, Database]) -> None:
    api, _ = small_body_api

    response = await api.post(f"{GROUPS}/create", {"name": "Small", "description": "x" * 1000})

    assert response.status_code == 200, response.text
