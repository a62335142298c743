"""Resource access grants: writing them (as a list or in Open WebUI's legacy ``access_control``
form), reading them back, ``has_access`` and the accessible ids of a type (reference §5.3)."""

from __future__ import annotations

from typing import Any

import pytest

from opengroups.kit.db import Database
from tests.conftest import Api, StartApi, refused
from tests.grants.conftest import GRANTS, grant, grant_rows, may, principals, put_grants, set_grants

NO_AUDIENCE: dict[str, list[str]] = {"group_ids": [], "user_ids": []}


# --- writing and reading ---------------------------------------------------------------------


async def test_grants_list_is_stored_and_read_back(api: Api, database: Database) -> None:
    group = await api.group("Readers")
    user = await api.user()

    body = await set_grants(
        api,
        "model/gpt-x",
        grant("group", group["id"]),
        grant("user", user.id, "write"),
        grant("user", user.id, "write"),  # a duplicate is stored once
    )

    assert principals(body) == {("group", group["id"], "read"), ("user", user.id, "write")}
    assert body["access_control"] == {
        "read": {"group_ids": [group["id"]], "user_ids": []},
        "write": {"group_ids": [], "user_ids": [user.id]},
    }
    assert await grant_rows(database) == {
        ("model", "gpt-x", "group", group["id"], "read"),
        ("model", "gpt-x", "user", user.id, "write"),
    }
    read = await api.get(f"{GRANTS}/model/gpt-x")
    assert read.status_code == 200, read.text
    assert read.json() == body


async def test_put_replaces_the_whole_set(api: Api, database: Database) -> None:
    first, second = await api.user(), await api.user()
    await set_grants(api, "note/n1", grant("user", first.id), grant("user", first.id, "write"))
    await set_grants(api, "note/other", grant("user", first.id))

    body = await set_grants(api, "note/n1", grant("user", second.id))

    assert principals(body) == {("user", second.id, "read")}
    assert await grant_rows(database) == {
        ("note", "n1", "user", second.id, "read"),
        ("note", "other", "user", first.id, "read"),
    }
    assert (await set_grants(api, "note/n1"))["grants"] == []


@pytest.mark.parametrize(
    ("access_control", "expected_legacy"),
    [
        pytest.param(None, None, id="null-is-public-read"),
        pytest.param({}, {"read": NO_AUDIENCE, "write": NO_AUDIENCE}, id="empty-is-private"),
    ],
)
async def test_legacy_null_and_empty(
    api: Api, database: Database, access_control: Any, expected_legacy: Any
) -> None:
    response = await put_grants(api, "knowledge/kb", {"access_control": access_control})

    assert response.status_code == 200, response.text
    assert response.json()["access_control"] == expected_legacy
    expected_rows = {("knowledge", "kb", "user", "*", "read")} if access_control is None else set()
    assert await grant_rows(database) == expected_rows
    assert (await api.get(f"{GRANTS}/knowledge/kb")).json()["access_control"] == expected_legacy


async def test_legacy_audiences_become_rows(api: Api, database: Database) -> None:
    group = await api.group("Team")
    reader, writer = await api.user(), await api.user()
    legacy = {
        "read": {"group_ids": [group["id"]], "user_ids": [reader.id]},
        "write": {"group_ids": [], "user_ids": [writer.id]},
    }

    response = await put_grants(api, "tool/t1", {"access_control": legacy})

    assert response.status_code == 200, response.text
    assert await grant_rows(database) == {
        ("tool", "t1", "group", group["id"], "read"),
        ("tool", "t1", "user", reader.id, "read"),
        ("tool", "t1", "user", writer.id, "write"),
    }
    assert response.json()["access_control"] == legacy


async def test_legacy_read_only_audience(api: Api) -> None:
    group = await api.group("Team")

    response = await put_grants(
        api, "prompt/p", {"access_control": {"read": {"group_ids": [group["id"]]}}}
    )

    assert response.status_code == 200, response.text
    assert principals(response.json()) == {("group", group["id"], "read")}


async def test_public_read_makes_the_legacy_form_null(api: Api) -> None:
    user = await api.user()

    body = await set_grants(api, "model/m", grant("user", "*"), grant("user", user.id, "write"))

    assert body["access_control"] is None
    assert len(body["grants"]) == 2


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="neither-form"),
        pytest.param({"grants": [], "access_control": {}}, id="both-forms"),
        pytest.param({"grants": None}, id="null-grants"),
        pytest.param({"access_control": {"delete": NO_AUDIENCE}}, id="unknown-legacy-key"),
        pytest.param({"access_control": {"read": {"team_ids": ["x"]}}}, id="unknown-audience"),
        pytest.param({"grants": [grant("role", "admin")]}, id="unknown-principal-type"),
        pytest.param({"grants": [grant("user", "u", "admin")]}, id="unknown-permission"),
        pytest.param({"grants": [grant("group", "*")]}, id="group-star"),
        pytest.param({"access_control": {"read": {"user_ids": [""]}}}, id="legacy-empty-id"),
        pytest.param(
            {"access_control": {"write": {"group_ids": ["g" * 256]}}}, id="legacy-long-id"
        ),
    ],
)
async def test_malformed_grants_are_422(api: Api, database: Database, body: Any) -> None:
    await api.admin()

    await refused(database, put_grants(api, "model/m", body), 422)


async def test_unknown_resource_has_no_grants(api: Api) -> None:
    response = await api.get(f"{GRANTS}/model/never-seen")

    assert response.status_code == 200, response.text
    assert response.json()["grants"] == []


# --- has_access ------------------------------------------------------------------------------


async def test_direct_user_grant_and_read_write_independence(api: Api) -> None:
    reader, writer, stranger = await api.user(), await api.user(), await api.user()
    await set_grants(api, "model/m", grant("user", reader.id), grant("user", writer.id, "write"))

    assert await may(api, "model/m", reader, "read") is True
    assert await may(api, "model/m", reader, "write") is False
    assert await may(api, "model/m", writer, "write") is True
    assert await may(api, "model/m", writer, "read") is False  # write does not imply read
    assert await may(api, "model/m", stranger, "read") is False
    assert await may(api, "model/other", reader, "read") is False
    assert await may(api, "knowledge/m", reader, "read") is False  # the type matters too


async def test_every_signed_in_user_grant(api: Api) -> None:
    user = await api.user()
    await set_grants(api, "model/public", grant("user", "*"))

    assert await may(api, "model/public", user, "read") is True
    assert await may(api, "model/public", user, "write") is False


async def test_group_grant_reaches_members_of_child_groups(api: Api) -> None:
    parent = await api.group("Parent")
    child = await api.group("Child", parent_group_id=parent["id"])
    sibling = await api.group("Sibling")
    child_member, parent_member, outsider = await api.user(), await api.user(), await api.user()
    await api.add(child["id"], child_member.id)
    await api.add(parent["id"], parent_member.id)
    await api.add(sibling["id"], outsider.id)
    await set_grants(api, "knowledge/kb", grant("group", parent["id"]))
    await set_grants(api, "knowledge/child-only", grant("group", child["id"], "write"))

    assert await may(api, "knowledge/kb", child_member) is True
    assert await may(api, "knowledge/kb", parent_member) is True
    assert await may(api, "knowledge/kb", outsider) is False
    assert await may(api, "knowledge/kb", child_member, "write") is False
    assert await may(api, "knowledge/child-only", child_member, "write") is True
    assert await may(api, "knowledge/child-only", parent_member, "write") is False


async def test_access_follows_membership_changes(api: Api) -> None:
    group = await api.group("Team")
    user = await api.user()
    await set_grants(api, "model/m", grant("group", group["id"]))
    assert await may(api, "model/m", user) is False

    await api.add(group["id"], user.id)
    assert await may(api, "model/m", user) is True

    await api.post(f"/api/v1/groups/id/{group['id']}/users/remove", {"user_ids": [user.id]})
    assert await may(api, "model/m", user) is False


async def test_accessible_ids(api: Api) -> None:
    group = await api.group("Team")
    member, other = await api.user(), await api.user()
    await api.add(group["id"], member.id)
    await set_grants(api, "model/b-group", grant("group", group["id"]))
    await set_grants(api, "model/a-public", grant("user", "*"))
    await set_grants(
        api, "model/c-direct", grant("user", member.id), grant("user", other.id, "write")
    )
    await set_grants(api, "model/d-write", grant("user", member.id, "write"))
    await set_grants(api, "knowledge/k", grant("user", member.id))

    async def ids(user_id: str, permission: str) -> list[str]:
        response = await api.get(f"{GRANTS}/model", user_id=user_id, permission=permission)
        assert response.status_code == 200, response.text
        return list(response.json()["resource_ids"])

    assert await ids(member.id, "read") == ["a-public", "b-group", "c-direct"]
    assert await ids(member.id, "write") == ["d-write"]
    assert await ids(other.id, "read") == ["a-public"]
    assert await ids(other.id, "write") == ["c-direct"]


async def test_non_admin_may_only_ask_about_themselves(api: Api) -> None:
    user, other = await api.user(), await api.user()
    await set_grants(api, "model/m", grant("user", user.id))

    own = await api.get(f"{GRANTS}/model/m/access", user)
    assert own.status_code == 200, own.text
    assert own.json()["allowed"] is True
    assert await may(api, "model/m", user, asker=user) is True
    listed = await api.get(f"{GRANTS}/model", user)
    assert listed.json()["resource_ids"] == ["m"]

    assert (await api.get(f"{GRANTS}/model/m/access", user, user_id=other.id)).status_code == 403
    assert (await api.get(f"{GRANTS}/model", user, user_id=other.id)).status_code == 403


async def test_unknown_user_is_404(api: Api) -> None:
    await api.admin()

    response = await api.get(f"{GRANTS}/model/m/access", user_id="ghost")

    assert response.status_code == 404
    assert "ghost" in response.json()["detail"]


async def test_pending_user_has_no_access(api: Api) -> None:
    pending = await api.user(role="pending")
    await set_grants(api, "model/m", grant("user", pending.id), grant("user", "*"))

    assert await may(api, "model/m", pending) is False
    assert (await api.get(f"{GRANTS}/model", user_id=pending.id)).json()["resource_ids"] == []


async def test_admins_bypass_grants(api: Api) -> None:
    admin = await api.admin()
    user = await api.user()
    await set_grants(api, "model/granted", grant("user", user.id))

    assert await may(api, "model/nothing", admin) is True
    assert await may(api, "model/nothing", admin, "write") is True
    assert (await api.get(f"{GRANTS}/model")).json()["resource_ids"] == ["granted"]


async def test_without_bypass_admins_are_judged_by_grants(start_api: StartApi) -> None:
    api = (await start_api(admin_bypass=False)).api
    admin = await api.admin()
    user = await api.user()
    await set_grants(api, "model/mine", grant("user", admin.id))
    await set_grants(api, "model/theirs", grant("user", user.id))

    assert await may(api, "model/mine", admin) is True
    assert await may(api, "model/mine", admin, "write") is False
    assert await may(api, "model/theirs", admin) is False
    assert (await api.get(f"{GRANTS}/model")).json()["resource_ids"] == ["mine"]
