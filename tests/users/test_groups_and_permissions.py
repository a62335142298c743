"""A user's groups (direct and inherited), their effective permissions, and ``GET /users/{id}``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Account, Api
from tests.users.conftest import USERS

SECRET_META = {"custom_data": {"owner": "hr"}}
SECRET_PERMISSIONS = {"features": {"notes": True}}


async def family(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Grandparent > parent > child, each with permissions that non-admins must not see."""
    grandparent = await api.group("Grandparent", permissions=SECRET_PERMISSIONS)
    parent = await api.group(
        "Parent", parent_group_id=grandparent["id"], permissions=SECRET_PERMISSIONS
    )
    child = await api.group("Child", parent_group_id=parent["id"], permissions=SECRET_PERMISSIONS)
    return grandparent, parent, child


async def get_json(api: Api, path: str, account: Account | None = None, **params: Any) -> Any:
    response = await api.get(path, account=account, **params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_my_groups_are_the_direct_ones(api: Api) -> None:
    _grandparent, parent, child = await family(api)
    user = await api.user("user")
    await api.add(child["id"], user.id)
    await api.group("Unrelated")

    groups = await get_json(api, f"{USERS}/groups", account=user)

    assert [group["id"] for group in groups] == [child["id"]]
    assert groups[0]["parent_group_id"] == parent["id"]
    assert "membership_type" not in groups[0]


async def test_include_inherited_adds_the_ancestors(api: Api) -> None:
    grandparent, parent, child = await family(api)
    user = await api.user("user")
    await api.add(child["id"], user.id)

    groups = await get_json(api, f"{USERS}/groups", account=user, include_inherited="true")

    assert {group["id"]: group["membership_type"] for group in groups} == {
        child["id"]: "direct",
        parent["id"]: "inherited",
        grandparent["id"]: "inherited",
    }


async def test_a_direct_member_of_an_ancestor_is_direct_there(api: Api) -> None:
    grandparent, parent, child = await family(api)
    user = await api.user("user")
    await api.add(child["id"], user.id)
    await api.add(grandparent["id"], user.id)

    groups = await get_json(api, f"{USERS}/groups", account=user, include_inherited="true")

    types = {group["id"]: group["membership_type"] for group in groups}
    assert types == {
        child["id"]: "direct",
        parent["id"]: "inherited",
        grandparent["id"]: "direct",
    }


async def test_non_admins_see_no_permissions_or_meta(api: Api) -> None:
    _grandparent, _parent, child = await family(api)
    user = await api.user("user")
    await api.add(child["id"], user.id)

    for params in ({}, {"include_inherited": "true"}):
        groups = await get_json(api, f"{USERS}/groups", account=user, **params)
        assert groups
        for group in groups:
            assert group["permissions"] is None, params
            assert group["meta"] is None, params


async def test_admins_see_permissions_of_their_groups(api: Api) -> None:
    admin = await api.admin()
    _grandparent, _parent, child = await family(api)
    await api.add(child["id"], admin.id)

    groups = await get_json(api, f"{USERS}/groups", include_inherited="true")

    assert len(groups) == 3
    assert all(group["permissions"] == SECRET_PERMISSIONS for group in groups)


async def test_admin_reads_another_users_groups(api: Api) -> None:
    grandparent, parent, child = await family(api)
    user = await api.user("user")
    await api.add(parent["id"], user.id)

    direct = await get_json(api, f"{USERS}/{user.id}/groups")
    effective = await get_json(api, f"{USERS}/{user.id}/groups", include_inherited="true")

    assert [group["id"] for group in direct] == [parent["id"]]
    assert direct[0]["permissions"] == SECRET_PERMISSIONS
    assert {group["id"]: group["membership_type"] for group in effective} == {
        parent["id"]: "direct",
        grandparent["id"]: "inherited",
    }
    assert child["id"] not in {group["id"] for group in effective}


async def test_another_users_groups_are_for_admins(api: Api) -> None:
    user = await api.user("user")
    other = await api.user("user")

    response = await api.get(f"{USERS}/{other.id}/groups", account=user)

    assert response.status_code == 403


async def test_groups_of_an_unknown_user_is_404(api: Api) -> None:
    response = await api.get(f"{USERS}/no-such-user/groups")

    assert response.status_code == 404
    assert "no-such-user" in response.json()["detail"]


async def test_permissions_start_from_the_defaults(api: Api) -> None:
    user = await api.user("user")

    mine = await get_json(api, f"{USERS}/permissions", account=user)
    defaults = await get_json(api, f"{USERS}/default/permissions")

    assert mine == defaults
    assert mine["features"]["api_keys"] is False
    assert mine["features"]["notes"] is True


async def test_a_group_turns_a_permission_on_for_its_members(api: Api) -> None:
    group = await api.group("Keys", permissions={"features": {"api_keys": True}})
    member = await api.user("user")
    outsider = await api.user("user")
    await api.add(group["id"], member.id)

    mine = await get_json(api, f"{USERS}/permissions", account=member)
    theirs = await get_json(api, f"{USERS}/permissions", account=outsider)

    assert mine["features"]["api_keys"] is True
    assert theirs["features"]["api_keys"] is False
    session = await get_json(api, "/api/v1/auths/", account=member)
    assert session["permissions"]["features"]["api_keys"] is True


async def test_a_parent_groups_permission_reaches_child_members(api: Api) -> None:
    parent = await api.group("Keys", permissions={"features": {"api_keys": True}})
    child = await api.group("Team", parent_group_id=parent["id"])
    member = await api.user("user")
    await api.add(child["id"], member.id)

    mine = await get_json(api, f"{USERS}/permissions", account=member)

    assert mine["features"]["api_keys"] is True


async def test_a_groups_false_never_turns_a_default_off(api: Api) -> None:
    group = await api.group(
        "Restrictive", permissions={"features": {"notes": False, "api_keys": False}}
    )
    member = await api.user("user")
    await api.add(group["id"], member.id)

    mine = await get_json(api, f"{USERS}/permissions", account=member)

    assert mine["features"]["notes"] is True
    assert mine["features"]["api_keys"] is False


async def test_most_permissive_group_wins(api: Api) -> None:
    deny = await api.group("Deny", permissions={"features": {"api_keys": False}})
    allow = await api.group("Allow", permissions={"features": {"api_keys": True}})
    member = await api.user("user")
    await api.add(deny["id"], member.id)
    await api.add(allow["id"], member.id)

    mine = await get_json(api, f"{USERS}/permissions", account=member)

    assert mine["features"]["api_keys"] is True


async def test_leaving_the_group_takes_the_permission_away(api: Api) -> None:
    group = await api.group("Keys", permissions={"features": {"api_keys": True}})
    member = await api.user("user")
    await api.add(group["id"], member.id)
    assert (await get_json(api, f"{USERS}/permissions", account=member))["features"]["api_keys"]

    removed = await api.post(
        f"/api/v1/groups/id/{group['id']}/users/remove", {"user_ids": [member.id]}
    )
    assert removed.status_code == 200, removed.text

    mine = await get_json(api, f"{USERS}/permissions", account=member)
    assert mine["features"]["api_keys"] is False


async def test_get_user_lists_direct_groups_by_id_and_name(api: Api) -> None:
    parent = await api.group("Parent")
    child = await api.group("Child", parent_group_id=parent["id"])
    user = await api.user("user", name="Ada")
    await api.add(child["id"], user.id)

    body = await get_json(api, f"{USERS}/{user.id}")

    assert body["id"] == user.id
    assert body["name"] == "Ada"
    assert body["email"] == user.email
    assert body["role"] == "user"
    assert body["groups"] == [{"id": child["id"], "name": "Child"}]
    assert "password_hash" not in body
    assert "api_key_hash" not in body


@pytest.mark.parametrize("path", ["no-such-user", "00000000-0000-4000-8000-000000000000"])
async def test_get_unknown_user_is_404(api: Api, path: str) -> None:
    response = await api.get(f"{USERS}/{path}")

    assert response.status_code == 404
    assert isinstance(response.json()["detail"], str)


async def test_get_user_is_for_admins(api: Api) -> None:
    user = await api.user("user")

    assert (await api.get(f"{USERS}/{user.id}", account=user)).status_code == 403
