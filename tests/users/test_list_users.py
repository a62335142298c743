"""``GET /api/v1/users/``: pages of 30, search, ordering, group ids."""

from __future__ import annotations

from typing import Any

import pytest

from opengroups.kit.db import Database
from opengroups.schemas_common import PROFILE_FIELDS
from tests.conftest import Api
from tests.users.conftest import USERS, insert_users

LIST = f"{USERS}/"
ADMIN_NAME = "Admin"


async def listing(api: Api, **params: Any) -> dict[str, Any]:
    response = await api.get(LIST, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [user["name"] for user in body["users"]]


async def test_users_come_in_pages_of_30(api: Api, database: Database) -> None:
    await api.admin()
    inserted = await insert_users(database, [f"Person {n:02d}" for n in range(31)])

    first = await listing(api, page=1)
    second = await listing(api, page=2)
    third = await listing(api, page=3)

    assert first["total"] == second["total"] == third["total"] == 32
    assert len(first["users"]) == 30
    assert len(second["users"]) == 2
    assert third["users"] == []
    seen = [user["id"] for user in first["users"] + second["users"]]
    assert len(set(seen)) == 32
    assert set(inserted) < set(seen)


async def test_default_order_is_oldest_first(api: Api, database: Database) -> None:
    await api.admin()  # signed up now, so newer than the inserted users
    await insert_users(database, ["Zed", "Amy", "Mia"])

    assert names(await listing(api)) == ["Zed", "Amy", "Mia", ADMIN_NAME]
    assert names(await listing(api, direction="desc")) == [ADMIN_NAME, "Mia", "Amy", "Zed"]


NOT_KEPT = (
    "username",
    "profile_banner_image_url",
    "timezone",
    "presence_state",
    "info",
    "settings",
    "oauth",
    "scim",
)


async def test_each_user_has_the_documented_fields(api: Api) -> None:
    user = await api.user("user", name="Ada")

    body = await listing(api)

    entry = next(item for item in body["users"] if item["id"] == user.id)
    assert set(entry) == {
        "id",
        "name",
        "email",
        "role",
        "profile_image_url",
        "last_active_at",
        "updated_at",
        "created_at",
        "group_ids",
        *PROFILE_FIELDS,  # Open WebUI 0.12.4's profile and status fields
        *NOT_KEPT,  # and the fields of its users opengroups keeps no value for
    }
    assert {key: entry[key] for key in NOT_KEPT} == dict.fromkeys(NOT_KEPT)
    assert entry["name"] == "Ada"
    assert entry["role"] == "user"
    assert "password_hash" not in entry
    assert "api_key_hash" not in entry


@pytest.mark.parametrize(
    ("order_by", "direction", "expected"),
    [
        ("name", "asc", ["Admin", "Amy", "Mia", "Zed"]),
        ("name", "desc", ["Zed", "Mia", "Amy", "Admin"]),
        ("email", "asc", ["Admin", "Amy", "Mia", "Zed"]),
        ("email", "desc", ["Zed", "Mia", "Amy", "Admin"]),
        ("created_at", "asc", ["Zed", "Amy", "Mia", "Admin"]),
        ("created_at", "desc", ["Admin", "Mia", "Amy", "Zed"]),
    ],
)
async def test_order_by_a_column(
    api: Api, database: Database, order_by: str, direction: str, expected: list[str]
) -> None:
    await api.admin()
    await insert_users(database, ["Zed", "Amy", "Mia"])

    body = await listing(api, order_by=order_by, direction=direction)

    assert names(body) == expected


async def test_order_by_role(api: Api) -> None:
    await api.user("user", name="Regular")
    await api.user("pending", name="Waiting")

    ascending = await listing(api, order_by="role")
    descending = await listing(api, order_by="role", direction="desc")

    assert names(ascending) == [ADMIN_NAME, "Waiting", "Regular"]
    assert names(descending) == ["Regular", "Waiting", ADMIN_NAME]


async def test_order_by_group_puts_its_members_first(api: Api, database: Database) -> None:
    await api.admin()
    zed, _amy, mia, _bob = await insert_users(database, ["Zed", "Amy", "Mia", "Bob"])
    group = await api.group("Team")
    await api.add(group["id"], zed, mia)

    body = await listing(api, order_by=f"group_id:{group['id']}")

    assert names(body)[:2] == ["Mia", "Zed"]
    assert set(names(body)[2:]) == {"Admin", "Amy", "Bob"}
    assert body["total"] == 5


async def test_order_by_an_unknown_group_lists_everyone(api: Api, database: Database) -> None:
    await api.admin()
    await insert_users(database, ["Zed", "Amy"])

    body = await listing(api, order_by="group_id:no-such-group")

    assert body["total"] == 3
    assert sorted(names(body)) == ["Admin", "Amy", "Zed"]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"order_by": "password_hash"}, id="not-orderable"),
        pytest.param({"order_by": "name; DROP TABLE user"}, id="injection"),
        pytest.param({"order_by": ""}, id="empty"),
        pytest.param({"direction": "sideways"}, id="bad-direction"),
        pytest.param({"page": 0}, id="page-zero"),
        pytest.param({"page": "two"}, id="page-not-a-number"),
    ],
)
async def test_bad_listing_parameters_are_422(api: Api, params: dict[str, Any]) -> None:
    response = await api.get(LIST, **params)

    assert response.status_code == 422, response.text
    assert "detail" in response.json()


async def test_query_matches_name_or_email_case_insensitively(api: Api, database: Database) -> None:
    await api.admin()
    await insert_users(database, ["Alice Smith", "Bob Jones", "Carol Smith"])

    by_name = await listing(api, query="SMITH")
    by_email = await listing(api, query="bob.jones@")

    assert sorted(names(by_name)) == ["Alice Smith", "Carol Smith"]
    assert by_name["total"] == 2
    assert names(by_email) == ["Bob Jones"]
    assert by_email["total"] == 1


@pytest.mark.parametrize("query", ["%", "_", "\\"])
async def test_query_wildcards_are_literal(api: Api, database: Database, query: str) -> None:
    await api.admin()
    await insert_users(database, ["Alice", "Bob"])

    body = await listing(api, query=query)

    assert body == {"users": [], "total": 0}


async def test_total_counts_every_match_not_the_page(api: Api, database: Database) -> None:
    await api.admin()
    await insert_users(database, [f"Match {n}" for n in range(33)] + ["Other"])

    body = await listing(api, query="match")

    assert body["total"] == 33
    assert len(body["users"]) == 30


async def test_each_user_lists_its_direct_group_ids(api: Api) -> None:
    parent = await api.group("Parent")
    child = await api.group("Child", parent_group_id=parent["id"])
    both = await api.user("user", name="Both")
    only_child = await api.user("user", name="Only Child")
    await api.user("user", name="None")
    await api.add(parent["id"], both.id)
    await api.add(child["id"], both.id, only_child.id)

    body = await listing(api)

    group_ids = {user["name"]: sorted(user["group_ids"]) for user in body["users"]}
    assert group_ids["Both"] == sorted([parent["id"], child["id"]])
    assert group_ids["Only Child"] == [child["id"]]  # the parent is inherited, not direct
    assert group_ids["None"] == []
    assert group_ids[ADMIN_NAME] == []


async def test_listing_users_is_for_admins(api: Api) -> None:
    user = await api.user("user")
    pending = await api.user("pending")

    assert (await api.get(LIST, account=user)).status_code == 403
    assert (await api.get(LIST, account=pending)).status_code == 401
    assert (await api.client.get(LIST)).status_code == 401
