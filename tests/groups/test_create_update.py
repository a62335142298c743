"""Creating, reading, updating, exporting and deleting groups: what succeeds and what it stores."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from opengroups.kit.db import Database
from tests.conftest import Api
from tests.groups.conftest import (
    GROUP_RESPONSE_FIELDS,
    GROUPS,
    group_path,
    member_rows,
    set_group_fields,
)

PERMISSIONS = {"workspace": {"models": True}, "chat": {"file_upload": False}}


async def test_create_returns_the_stored_group(api: Api) -> None:
    admin = await api.admin()
    response = await api.post(
        f"{GROUPS}/create",
        {
            "name": "  Engineering  ",
            "description": "Builds things",
            "permissions": PERMISSIONS,
            "data": {"config": {"share": "members"}, "color": "blue"},
        },
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == GROUP_RESPONSE_FIELDS
    assert uuid.UUID(body["id"]).version == 4
    assert body["name"] == "Engineering"
    assert body["description"] == "Builds things"
    assert body["user_id"] == admin.id
    assert body["parent_group_id"] is None
    assert body["permissions"] == PERMISSIONS
    assert body["data"] == {"config": {"share": "members"}, "color": "blue"}
    assert body["meta"] is None
    assert body["member_count"] == 0
    assert isinstance(body["created_at"], int)
    assert body["created_at"] > 1_600_000_000
    assert body["updated_at"] == body["created_at"]

    fetched = await api.get(group_path(body["id"]))
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_create_under_a_parent(api: Api) -> None:
    parent = await api.group("Parent")
    child = await api.group("Child", parent_group_id=parent["id"])

    assert child["parent_group_id"] == parent["id"]
    assert (await api.get(group_path(child["id"]))).json()["parent_group_id"] == parent["id"]


async def test_create_defaults_description_to_empty(api: Api) -> None:
    group = await api.group("Bare")

    assert group["description"] == ""
    assert group["permissions"] is None


@pytest.mark.parametrize(
    ("data", "stored"),
    [
        pytest.param(None, {"config": {"share": "members"}}, id="no-data"),
        pytest.param({}, {"config": {"share": "members"}}, id="empty-data"),
        pytest.param({"config": {}}, {"config": {"share": "members"}}, id="empty-config"),
        pytest.param(
            {"color": "red"}, {"color": "red", "config": {"share": "members"}}, id="no-config"
        ),
        pytest.param({"config": {"share": True}}, {"config": {"share": True}}, id="json-true"),
        pytest.param({"config": {"share": False}}, {"config": {"share": False}}, id="json-false"),
        pytest.param({"config": {"share": "false"}}, {"config": {"share": False}}, id="str-false"),
        pytest.param({"config": {"share": " TRUE "}}, {"config": {"share": True}}, id="str-true"),
        pytest.param(
            {"config": {"share": "MEMBERS"}}, {"config": {"share": "members"}}, id="str-members"
        ),
        pytest.param(
            {"config": {"default_models": [" gpt-4 ", "llama", "gpt-4", "llama  "]}},
            {"config": {"share": "members", "default_models": ["gpt-4", "llama"]}},
            id="default-models",
        ),
    ],
)
async def test_create_normalizes_data(
    api: Api, data: dict[str, Any] | None, stored: dict[str, Any]
) -> None:
    group = await api.group("Normalized", data=data)

    assert group["data"] == stored
    assert (await api.get(group_path(group["id"]))).json()["data"] == stored


async def _original(api: Api) -> dict[str, Any]:
    parent = await api.group("Parent")
    return await api.group(
        "Original",
        description="Described",
        permissions=PERMISSIONS,
        data={"config": {"share": "members", "default_models": ["m1"]}, "color": "red"},
        parent_group_id=parent["id"],
    )


@pytest.mark.parametrize(
    ("update", "changed"),
    [
        pytest.param({}, {}, id="nothing"),
        pytest.param({"name": " Renamed "}, {"name": "Renamed"}, id="name"),
        pytest.param({"description": "Other"}, {"description": "Other"}, id="description"),
        pytest.param({"description": ""}, {"description": ""}, id="description-cleared"),
        pytest.param(
            {"permissions": {"features": {"notes": False}}},
            {"permissions": {"features": {"notes": False}}},
            id="permissions-replace",
        ),
        pytest.param({"permissions": {}}, {"permissions": {}}, id="permissions-cleared"),
        pytest.param(
            {"name": None, "description": None, "permissions": None, "data": None},
            {},
            id="nulls-keep",
        ),
        pytest.param({"parent_group_id": None}, {"parent_group_id": None}, id="to-top"),
        pytest.param(
            {"data": {"config": {"default_models": ["m2", " m2 ", "m3"]}}},
            {
                "data": {
                    "config": {"share": "members", "default_models": ["m2", "m3"]},
                    "color": "red",
                }
            },
            id="config-merged",
        ),
        pytest.param(
            {"data": {"config": {"share": "false"}}},
            {"data": {"config": {"share": False, "default_models": ["m1"]}, "color": "red"}},
            id="share-normalized",
        ),
        pytest.param(
            {"data": {"icon": "star"}},
            {
                "data": {
                    "config": {"share": "members", "default_models": ["m1"]},
                    "color": "red",
                    "icon": "star",
                }
            },
            id="data-merged",
        ),
    ],
)
async def test_update_changes_only_what_was_sent(
    api: Api, update: dict[str, Any], changed: dict[str, Any]
) -> None:
    group = await _original(api)

    response = await api.post(group_path(group["id"], "/update"), update)

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == GROUP_RESPONSE_FIELDS
    expected = {**group, **changed, "updated_at": body["updated_at"]}
    assert body == expected
    assert body["updated_at"] >= group["updated_at"]
    assert (await api.get(group_path(group["id"]))).json() == body


async def test_update_moves_a_group_under_another(api: Api) -> None:
    group = await api.group("Mover")
    target = await api.group("Target")

    response = await api.post(group_path(group["id"], "/update"), {"parent_group_id": target["id"]})

    assert response.status_code == 200, response.text
    assert response.json()["parent_group_id"] == target["id"]


async def test_rename_may_change_only_the_case_of_its_own_name(api: Api) -> None:
    group = await api.group("Sales")

    response = await api.post(group_path(group["id"], "/update"), {"name": "SALES"})

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "SALES"


async def test_update_reports_the_member_count(api: Api) -> None:
    group = await api.group("Counted")
    user = await api.user()
    await api.add(group["id"], user.id)

    response = await api.post(group_path(group["id"], "/update"), {"description": "x"})

    assert response.json()["member_count"] == 1


@pytest.mark.parametrize("route", ["/create", "/update"])
async def test_server_owned_fields_are_ignored(api: Api, route: str) -> None:
    admin = await api.admin()
    existing = await api.group("Existing")
    forged: dict[str, Any] = {
        "id": "00000000-0000-4000-8000-000000000000",
        "user_id": "someone-else",
        "created_at": 1,
        "updated_at": 2,
        "member_count": 99,
    }
    path = f"{GROUPS}/create" if route == "/create" else group_path(existing["id"], "/update")

    response = await api.post(path, {"name": "Forged", **forged})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Forged"
    assert body["id"] != forged["id"]
    assert body["user_id"] == admin.id
    assert body["created_at"] > 1_600_000_000
    assert body["updated_at"] > 1_600_000_000
    assert body["member_count"] == 0
    if route == "/update":
        assert body["id"] == existing["id"]
        assert body["created_at"] == existing["created_at"]
    assert (await api.get(group_path(forged["id"]))).status_code == 404


async def test_export_lists_direct_members_sorted(api: Api, database: Database) -> None:
    admin = await api.admin()
    group = await api.group("Exported", permissions=PERMISSIONS)
    await set_group_fields(database, group["id"], meta={"custom_data": {"team": "core"}})
    child = await api.group("Exported child", parent_group_id=group["id"])
    members = [await api.user() for _ in range(3)]
    await api.add(group["id"], *(member.id for member in reversed(members)))
    outsider = await api.user()
    await api.add(child["id"], outsider.id)

    response = await api.get(group_path(group["id"], "/export"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == GROUP_RESPONSE_FIELDS | {"user_ids"}
    assert body["user_ids"] == sorted(member.id for member in members)
    assert body["member_count"] == 3
    assert body["name"] == "Exported"
    assert body["permissions"] == PERMISSIONS
    meta = body["meta"]
    assert meta["exported_by"] == admin.id
    assert meta["source_system"] == "opengroups"
    assert meta["custom_data"] == {"team": "core"}
    assert isinstance(meta["export_timestamp"], int)
    assert meta["export_timestamp"] >= group["created_at"]


async def test_export_of_an_empty_group(api: Api) -> None:
    group = await api.group("Empty")

    body = (await api.get(group_path(group["id"], "/export"))).json()

    assert body["user_ids"] == []
    assert body["member_count"] == 0


async def test_users_route_returns_direct_members(api: Api) -> None:
    group = await api.group("Direct")
    child = await api.group("Direct child", parent_group_id=group["id"])
    alice = await api.user(name="Alice")
    bob = await api.user(name="Bob")
    carol = await api.user(name="Carol")
    await api.add(group["id"], bob.id, alice.id)
    await api.add(child["id"], carol.id)

    response = await api.post(group_path(group["id"], "/users"))

    assert response.status_code == 200, response.text
    users = response.json()
    assert [user["id"] for user in users] == [alice.id, bob.id]
    assert [user["name"] for user in users] == ["Alice", "Bob"]


async def test_delete_removes_the_group(api: Api, database: Database) -> None:
    group = await api.group("Doomed")
    user = await api.user()
    await api.add(group["id"], user.id)

    response = await api.delete(group_path(group["id"], "/delete"))

    assert response.status_code == 200, response.text
    assert response.json() is True
    assert (await api.get(group_path(group["id"]))).status_code == 404
    assert await member_rows(database, group["id"]) == 0
    assert group["id"] not in [g["id"] for g in (await api.get(f"{GROUPS}/")).json()]
    # The name is free again.
    assert (await api.post(f"{GROUPS}/create", {"name": "doomed"})).status_code == 200
