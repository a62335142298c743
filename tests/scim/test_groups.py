"""SCIM groups: memberships as set operations of each provisioning client, the dialects of
Entra ID, Okta and authentik, nesting within the hierarchy's rules."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Api
from tests.scim.conftest import GROUP_SCHEMA, Scim, ids, new_client, scim_error


async def patched(scim: Scim, path: str, *operations: dict[str, Any]) -> dict[str, Any]:
    """PATCH, then the group as read afterwards: a group's PATCH answers 204 with its ETag."""
    response = await scim.patch(path, *operations)
    assert response.status_code == 204, response.text
    again = await scim.get(path)
    assert again.headers["etag"] == response.headers["etag"]
    body: dict[str, Any] = again.json()
    return body


def member_ids(group: dict[str, Any]) -> set[str]:
    members = group.get("members") or []
    assert isinstance(members, list)
    return {member["value"] for member in members}


async def test_create_with_members_and_read_back(scim: Scim) -> None:
    ann = await scim.user("ann")
    bob = await scim.user("bob")
    group = await scim.group("Engineering", ann["id"], bob["id"], externalId="ext-eng")
    assert group["displayName"] == "Engineering"
    assert group["externalId"] == "ext-eng"
    assert member_ids(group) == {ann["id"], bob["id"]}
    assert {m["type"] for m in group["members"]} == {"User"}
    assert group["members"][0]["$ref"].startswith("http://testserver/scim/v2/Users/")
    again = await scim.get(f"/Groups/{group['id']}")
    assert again.json() == group
    user = await scim.get(f"/Users/{ann['id']}")
    assert [g["value"] for g in user.json()["groups"]] == [group["id"]]


async def test_display_names_are_unique_case_insensitively(scim: Scim) -> None:
    await scim.group("Sales")
    taken = await scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "SALES"})
    scim_error(taken, 409, "uniqueness")
    blank = await scim.post("/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "  "})
    scim_error(blank, 400, "invalidValue")
    unknown_member = await scim.post(
        "/Groups",
        {"schemas": [GROUP_SCHEMA], "displayName": "Ghosts", "members": [{"value": "nobody"}]},
    )
    scim_error(unknown_member, 400, "invalidValue")
    listing = await scim.get("/Groups", filter='displayName eq "Ghosts"')
    assert listing.json()["totalResults"] == 0  # nothing written


async def test_excluded_members_and_filters_identity_providers_send(scim: Scim) -> None:
    ann = await scim.user("ann")
    group = await scim.group("Ops", ann["id"], externalId="okta-ops")
    await scim.group("Other")
    light = await scim.get("/Groups", filter='displayName eq "ops"', excludedAttributes="members")
    (found,) = light.json()["Resources"]
    assert found["id"] == group["id"]
    assert "members" not in found
    assert ids(await scim.get("/Groups", filter='externalId eq "okta-ops"')) == {group["id"]}
    # Entra's membership check.
    check = await scim.get(
        "/Groups", filter=f'id eq "{group["id"]}" and members eq "{ann["id"]}"', attributes="id"
    )
    assert check.json()["Resources"] == [{"schemas": [GROUP_SCHEMA], "id": group["id"]}]
    bob = await scim.user("bob")
    none = await scim.get(
        "/Groups", filter=f'id eq "{group["id"]}" and members eq "{bob["id"]}"', attributes="id"
    )
    assert none.json()["totalResults"] == 0
    # Okta's opening listing.
    opening = await scim.get("/Groups", startIndex=1, count=100)
    assert opening.json()["totalResults"] == 2


async def test_patch_memberships_in_every_dialect(scim: Scim) -> None:
    users = [await scim.user(f"user{i}") for i in range(4)]
    a, b, c, d = (u["id"] for u in users)
    group = await scim.group("Team", a)
    path = f"/Groups/{group['id']}"
    added = await patched(
        scim, path, {"op": "Add", "path": "members", "value": [{"value": b}, {"value": c}]}
    )
    assert member_ids(added) == {a, b, c}
    # Entra's removal: the members as the value.
    entra = await patched(scim, path, {"op": "Remove", "path": "members", "value": [{"value": a}]})
    assert member_ids(entra) == {b, c}
    # The RFC's removal: a value filter.
    filtered = await patched(scim, path, {"op": "remove", "path": f'members[value eq "{b}"]'})
    assert member_ids(filtered) == {c}
    # authentik and Okta: a pathless replace of the name, then of the members.
    renamed = await patched(scim, path, {"op": "replace", "value": {"displayName": "Team 2"}})
    assert renamed["displayName"] == "Team 2"
    replaced = await patched(
        scim, path, {"op": "replace", "value": {"members": [{"value": d}], "externalId": "x"}}
    )
    assert member_ids(replaced) == {d}
    assert replaced["externalId"] == "x"
    cleared = await patched(scim, path, {"op": "remove", "path": "members"})
    assert "members" not in cleared
    refused = await scim.patch(
        path, {"op": "add", "path": "members", "value": [{"value": "nobody"}]}
    )
    scim_error(refused, 400, "invalidValue")


async def test_a_manual_membership_survives_scim_put_and_remove(scim: Scim, api: Api) -> None:
    person = await scim.user("pat")
    group = await scim.group("Mixed", person["id"])
    await api.add(group["id"], person["id"])  # an admin adds the same person by hand
    members = await api.get(f"/api/v1/groups/id/{group['id']}/members")
    assert members.status_code == 200, members.text
    (item,) = members.json()["items"]
    assert sorted(item["sources"]) == sorted(["manual", f"scim:{scim.id}"])
    put = await scim.put(
        f"/Groups/{group['id']}", {"schemas": [GROUP_SCHEMA], "displayName": "Mixed"}
    )
    assert put.status_code == 200, put.text
    assert member_ids(put.json()) == {person["id"]}  # still a member: the admin's source holds
    removed = await patched(
        scim,
        f"/Groups/{group['id']}",
        {"op": "remove", "path": f'members[value eq "{person["id"]}"]'},
    )
    assert member_ids(removed) == {person["id"]}
    members = await api.get(f"/api/v1/groups/id/{group['id']}/members")
    assert members.json()["items"][0]["sources"] == ["manual"]


async def test_another_clients_membership_survives(api: Api) -> None:
    entra = await new_client(api, "Entra")
    okta = await new_client(api, "Okta")
    person = await entra.user("quinn")
    group = await entra.group("Shared", person["id"])
    await okta.patch(
        f"/Groups/{group['id']}",
        {"op": "add", "path": "members", "value": [{"value": person["id"]}]},
    )
    cleared = await patched(entra, f"/Groups/{group['id']}", {"op": "remove", "path": "members"})
    assert member_ids(cleared) == {person["id"]}
    cleared = await patched(okta, f"/Groups/{group['id']}", {"op": "remove", "path": "members"})
    assert member_ids(cleared) == set()


async def test_parallel_patches_lose_nothing(scim: Scim) -> None:
    users = [await scim.user(f"parallel{i}") for i in range(20)]
    group = await scim.group("Parallel")
    responses = await asyncio.gather(
        *(
            scim.patch(
                f"/Groups/{group['id']}",
                {"op": "add", "path": "members", "value": [{"value": user["id"]}]},
            )
            for user in users
        )
    )
    assert [r.status_code for r in responses] == [204] * 20
    final = await scim.get(f"/Groups/{group['id']}")
    assert member_ids(final.json()) == {user["id"] for user in users}


async def test_nested_groups_follow_the_hierarchy_rules(scim: Scim, api: Api) -> None:
    parent = await scim.group("Parent")
    child = await scim.group("Child")
    nested = await patched(
        scim,
        f"/Groups/{parent['id']}",
        {"op": "add", "path": "members", "value": [{"value": child["id"], "type": "Group"}]},
    )
    groups = [m["value"] for m in nested["members"] if m["type"] == "Group"]
    assert groups == [child["id"]]
    detail = await api.get(f"/api/v1/groups/id/{child['id']}")
    assert detail.json()["parent_group_id"] == parent["id"]
    cycle = await scim.patch(
        f"/Groups/{child['id']}",
        {"op": "add", "path": "members", "value": [{"value": parent["id"]}]},
    )
    scim_error(cycle, 400, "invalidValue")
    elsewhere = await scim.group("Elsewhere")
    second_parent = await scim.patch(
        f"/Groups/{elsewhere['id']}",
        {"op": "add", "path": "members", "value": [{"value": child["id"]}]},
    )
    assert "one parent" in scim_error(second_parent, 400, "invalidValue")
    out = await patched(
        scim,
        f"/Groups/{parent['id']}",
        {"op": "remove", "path": f'members[value eq "{child["id"]}"]'},
    )
    assert "members" not in out
    assert (await api.get(f"/api/v1/groups/id/{child['id']}")).json()["parent_group_id"] is None


async def test_delete_group(scim: Scim) -> None:
    group = await scim.group("Doomed")
    assert (await scim.delete(f"/Groups/{group['id']}")).status_code == 204
    scim_error(await scim.get(f"/Groups/{group['id']}"), 404)
    stale = await scim.group("Kept")
    refused = await scim.delete(f"/Groups/{stale['id']}", **{"If-Match": 'W/"999"'})
    scim_error(refused, 412)


async def test_patch_answers_the_group_when_attributes_are_asked(scim: Scim) -> None:
    person = await scim.user("rae")
    group = await scim.group("Answered")
    response = await scim.client.patch(
        f"/scim/v2/Groups/{group['id']}",
        params={"excludedAttributes": "members"},
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": person["id"]}]}],
        },
        headers=scim.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["displayName"] == "Answered"
    assert "members" not in response.json()
    assert response.json()["meta"]["version"] == response.headers["etag"]
