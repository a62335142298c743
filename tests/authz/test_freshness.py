"""The permission cache is never stale: after any change that can alter a user's effective
permissions, their very next read shows it (each test reads first, so the cache is warm)."""

from __future__ import annotations

from collections.abc import Awaitable

import httpx

from tests.authz.conftest import DEFAULTS, has, my_permissions
from tests.conftest import Api

KEY = "workspace.models"
GRANT = {"workspace": {"models": True}}


def _group(group_id: str, suffix: str = "") -> str:
    return f"/api/v1/groups/id/{group_id}{suffix}"


async def _ok(request: Awaitable[httpx.Response]) -> None:
    response = await request
    assert response.status_code == 200, response.text


async def test_adding_and_removing_a_member(api: Api) -> None:
    group = await api.group("Modelers", permissions=GRANT)
    user = await api.user()
    assert await has(api, user, KEY) is False

    await api.add(group["id"], user.id)
    assert await has(api, user, KEY) is True

    await _ok(api.post(_group(group["id"], "/users/remove"), {"user_ids": [user.id]}))
    assert await has(api, user, KEY) is False


async def test_changing_a_group_permissions(api: Api) -> None:
    group = await api.group("Modelers")
    user = await api.user()
    await api.add(group["id"], user.id)
    assert await has(api, user, KEY) is False

    await _ok(api.post(_group(group["id"], "/update"), {"permissions": GRANT}))
    assert await has(api, user, KEY) is True

    await _ok(api.post(_group(group["id"], "/update"), {"permissions": {"chat": {"edit": True}}}))
    assert await has(api, user, KEY) is False

    await _ok(api.post(_group(group["id"], "/update"), {"permissions": GRANT}))
    assert await has(api, user, KEY) is True
    await _ok(api.post(_group(group["id"], "/update"), {"permissions": None}))  # kept
    assert await has(api, user, KEY) is True
    await _ok(api.post(_group(group["id"], "/update"), {"permissions": {}}))
    assert await has(api, user, KEY) is False


async def test_changing_a_group_parent(api: Api) -> None:
    granting = await api.group("Granting", permissions=GRANT)
    plain = await api.group("Plain")
    team = await api.group("Team")
    user = await api.user()
    await api.add(team["id"], user.id)
    assert await has(api, user, KEY) is False

    await _ok(api.post(_group(team["id"], "/update"), {"parent_group_id": granting["id"]}))
    assert await has(api, user, KEY) is True

    await _ok(api.post(_group(team["id"], "/update"), {"parent_group_id": plain["id"]}))
    assert await has(api, user, KEY) is False

    await _ok(api.post(_group(plain["id"], "/update"), {"parent_group_id": granting["id"]}))
    assert await has(api, user, KEY) is True  # the grandparent now grants it

    await _ok(api.post(_group(team["id"], "/update"), {"parent_group_id": None}))
    assert await has(api, user, KEY) is False


async def test_deleting_the_group(api: Api) -> None:
    group = await api.group("Modelers", permissions=GRANT)
    user = await api.user()
    await api.add(group["id"], user.id)
    assert await has(api, user, KEY) is True

    await _ok(api.delete(_group(group["id"], "/delete")))

    assert await has(api, user, KEY) is False


async def test_deleting_an_ancestor(api: Api) -> None:
    grandparent = await api.group("Company", permissions={"features": {"api_keys": True}})
    parent = await api.group("Division", parent_group_id=grandparent["id"], permissions=GRANT)
    team = await api.group("Team", parent_group_id=parent["id"])
    user = await api.user()
    await api.add(team["id"], user.id)
    assert await has(api, user, KEY) is True
    assert await has(api, user, "features.api_keys") is True

    await _ok(api.delete(_group(parent["id"], "/delete")))

    # The team moved up to the grandparent: one grant goes, the other stays.
    assert await has(api, user, KEY) is False
    assert await has(api, user, "features.api_keys") is True


async def test_deleting_another_member_leaves_the_rest_unchanged(api: Api) -> None:
    group = await api.group("Modelers", permissions=GRANT)
    staying = await api.user()
    leaving = await api.user()
    await api.add(group["id"], staying.id, leaving.id)
    assert await has(api, staying, KEY) is True

    await _ok(api.delete(f"/api/v1/users/{leaving.id}"))

    assert await has(api, staying, KEY) is True
    response = await api.get(f"/api/v1/users/{leaving.id}/permissions")
    assert response.status_code == 404


async def test_changing_the_defaults(api: Api) -> None:
    user = await api.user()
    before = await my_permissions(api, user)
    assert before["chat"]["delete"] is True

    await _ok(api.post(DEFAULTS, {"chat": {"delete": False}}))

    after = await my_permissions(api, user)
    assert after["chat"]["delete"] is False
    assert {**after, "chat": {**after["chat"], "delete": True}} == before


async def test_admin_view_of_a_user_is_fresh_too(api: Api) -> None:
    group = await api.group("Modelers", permissions=GRANT)
    user = await api.user()
    path = f"/api/v1/users/{user.id}/permissions"
    assert (await api.get(path)).json()["workspace"]["models"] is False

    await api.add(group["id"], user.id)

    assert (await api.get(path)).json()["workspace"]["models"] is True
    session = await api.get("/api/v1/auths/", user)
    assert session.json()["permissions"]["workspace"]["models"] is True


async def test_batch_check_is_fresh(api: Api) -> None:
    group = await api.group("Modelers", permissions=GRANT)
    user = await api.user()
    body = {"checks": [{"user_id": user.id, "key": KEY}]}
    assert (await api.post("/api/v1/permissions/check", body)).json()["results"][0][
        "allowed"
    ] is False

    await api.add(group["id"], user.id)

    assert (await api.post("/api/v1/permissions/check", body)).json()["results"][0][
        "allowed"
    ] is True


async def test_refused_change_leaves_permissions_as_they_were(api: Api) -> None:
    group = await api.group("Modelers", permissions=GRANT)
    user = await api.user()
    await api.add(group["id"], user.id)
    assert await has(api, user, KEY) is True

    response = await api.post(
        _group(group["id"], "/update"), {"permissions": {"workspace": {"nope": True}}}
    )

    assert response.status_code == 422
    assert await has(api, user, KEY) is True
