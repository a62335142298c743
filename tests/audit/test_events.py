"""Every kind of mutation writes its audit event, with before and after; failures write none."""

from __future__ import annotations

import httpx

from opengroups.kit.db import Database
from tests.audit.conftest import EVENTS, events, last_event
from tests.conftest import Api, refused


async def test_group_create_update_delete_are_recorded(api: Api) -> None:
    admin = await api.admin()
    group = await api.group("Audited", description="first")

    created = await last_event(api, action="group.create")
    assert created["resource_id"] == group["id"]
    assert created["actor_id"] == admin.id
    assert created["after"]["name"] == "Audited"
    assert created["before"] is None

    member = await api.user()
    await api.add(group["id"], member.id)
    response = await api.post(
        f"/api/v1/groups/id/{group['id']}/update",
        {"description": "second", "permissions": {"features": {"api_keys": True}}},
    )
    assert response.status_code == 200
    updated = await last_event(api, action="group.update")
    assert updated["before"] == {"description": "first", "permissions": None}
    assert updated["after"] == {
        "description": "second",
        "permissions": {"features": {"api_keys": True}},
    }
    assert updated["affected_user_ids"] == [member.id]

    assert (await api.delete(f"/api/v1/groups/id/{group['id']}/delete")).status_code == 200
    deleted = await last_event(api, action="group.delete")
    assert deleted["before"]["member_ids"] == [member.id]
    assert deleted["after"] is None


async def test_membership_changes_record_exactly_who_joined_or_left(api: Api) -> None:
    group = await api.group("Team")
    ann, ben = await api.user(), await api.user()
    await api.add(group["id"], ann.id)

    await api.add(group["id"], ann.id, ben.id)  # Ann was already in

    added = await last_event(api, action="group.members.add")
    assert added["after"] == {"user_ids": [ben.id], "source": "manual"}
    assert added["affected_user_ids"] == [ben.id]
    removed = await api.post(
        f"/api/v1/groups/id/{group['id']}/users/remove", {"user_ids": [ann.id, ben.id]}
    )
    assert removed.status_code == 200
    event = await last_event(api, action="group.members.remove")
    assert event["before"] == {"user_ids": sorted([ann.id, ben.id])}


async def test_user_changes_are_recorded_without_secrets(api: Api) -> None:
    user = await api.user(name="Before")
    created = await last_event(api, action="user.create", resource_id=user.id)
    assert created["after"]["name"] == "Before"

    response = await api.post(
        f"/api/v1/users/{user.id}/update", {"name": "After", "password": "new-secret-pw"}
    )
    assert response.status_code == 200
    updated = await last_event(api, action="user.update")
    assert updated["before"] == {"name": "Before"}
    assert updated["after"] == {"name": "After", "password_changed": True}

    assert (await api.delete(f"/api/v1/users/{user.id}")).status_code == 200
    deleted = await last_event(api, action="user.delete")
    assert deleted["before"]["email"] == user.email
    every = str(await events(api))
    assert "new-secret-pw" not in every
    assert "user-pw" not in every
    assert "argon2" not in every


async def test_defaults_grants_config_and_api_keys_are_recorded(api: Api) -> None:
    admin = await api.admin()
    group = await api.group("Readers")
    response = await api.post("/api/v1/users/default/permissions", {"features": {"api_keys": True}})
    assert response.status_code == 200
    defaults = await last_event(api, action="permissions.defaults.update")
    assert defaults["before"]["features"]["api_keys"] is False
    assert defaults["after"]["features"]["api_keys"] is True
    assert defaults["affects_all_users"] is True

    grant = {"principal_type": "group", "principal_id": group["id"], "permission": "read"}
    put = await api.client.put(
        "/api/v1/grants/model/m1", json={"grants": [grant]}, headers=admin.headers
    )
    assert put.status_code == 200
    grants = await last_event(api, action="grants.set")
    assert (grants["resource_type"], grants["resource_id"]) == ("model", "m1")
    assert grants["before"] == []
    assert grants["after"] == [grant]

    config = await api.post("/api/v1/auths/admin/config", {"DEFAULT_GROUP_ID": group["id"]})
    assert config.status_code == 200
    assert (await last_event(api, action="config.update"))["after"]["DEFAULT_GROUP_ID"] == group[
        "id"
    ]

    key = await api.post("/api/v1/auths/api_key")
    assert key.status_code == 200
    key_event = await last_event(api, action="user.api_key.create")
    assert key_event["resource_id"] == admin.id
    assert key.json()["api_key"] not in str(key_event)


async def test_imports_are_recorded(api: Api) -> None:
    admin = await api.admin()
    bundle = {"format": "opengroups-bundle", "version": 1, "groups": [{"id": "g", "name": "G"}]}
    response = await api.client.post("/api/v1/transfer/import", json=bundle, headers=admin.headers)
    assert response.status_code == 200
    assert (await last_event(api, action="group.create"))["resource_id"] == "g"
    assert (await last_event(api, action="transfer.import"))["after"]["added"] == 1


async def test_a_dry_run_records_nothing(api: Api) -> None:
    admin = await api.admin()
    before = await events(api)
    bundle = {"format": "opengroups-bundle", "version": 1, "groups": [{"id": "g", "name": "G"}]}
    response = await api.client.post(
        "/api/v1/transfer/import",
        json=bundle,
        params={"dry_run": "true"},
        headers=admin.headers,
    )
    assert response.status_code == 200
    assert await events(api) == before


async def test_a_failed_request_leaves_no_event(api: Api, database: Database) -> None:
    group = await api.group("Taken")
    other = await api.group("Other")
    admin = await api.admin()
    request = api.client.post(
        f"/api/v1/groups/id/{other['id']}/update",
        json={"name": group["name"].upper()},
        headers=admin.headers,
    )
    await refused(database, request, 409)  # the snapshot covers audit_event too
    unknown = api.client.post(
        f"/api/v1/groups/id/{group['id']}/users/add",
        json={"user_ids": ["ghost"]},
        headers=admin.headers,
    )
    await refused(database, unknown, 422)


async def test_events_carry_the_request_id_and_address(api: Api) -> None:
    admin = await api.admin()
    response = await api.client.post(
        "/api/v1/groups/create",
        json={"name": "Traced"},
        headers={**admin.headers, "X-Request-ID": "trace-123"},
    )
    assert response.headers["x-request-id"] == "trace-123"
    event = await last_event(api, action="group.create")
    assert event["request_id"] == "trace-123"
    assert event["actor_address"] == "127.0.0.1"
    generated = await api.get("/health")
    assert len(generated.headers["x-request-id"]) == 32


async def test_listing_filters_and_pages(api: Api) -> None:
    admin = await api.admin()
    for index in range(5):
        await api.group(f"Group {index}")
    user = await api.user()

    page_one = (await api.get(EVENTS, action="group.create", limit=2)).json()
    page_two = (
        await api.get(EVENTS, action="group.create", limit=2, cursor=page_one["next_cursor"])
    ).json()
    page_three = (
        await api.get(EVENTS, action="group.create", limit=2, cursor=page_two["next_cursor"])
    ).json()

    names = [
        e["after"]["name"] for e in page_one["items"] + page_two["items"] + page_three["items"]
    ]
    assert names == [f"Group {i}" for i in (4, 3, 2, 1, 0)]
    assert page_three["next_cursor"] is None
    mine = await events(api, actor_id=admin.id, resource_type="user")
    assert {e["resource_id"] for e in mine} == {admin.id, user.id}  # sign-up acts for itself
    assert await events(api, since=9_999_999_999_999) == []
    assert len(await events(api, until=9_999_999_999_999, action="group.create")) == 5


async def test_audit_routes_are_admin_only(api: Api) -> None:
    user = await api.user()
    assert (await api.get(EVENTS, user)).status_code == 403
    assert (await api.get("/api/v1/changes", user)).status_code == 403
    anonymous: httpx.Response = await api.client.get(EVENTS)
    assert anonymous.status_code == 401
