"""Direct membership changes and ``member_count``: adds, removes, user and group deletion, and
concurrent writers."""

from __future__ import annotations

import asyncio
from typing import Any

from opengroups.kit.db import Database
from tests.conftest import Api
from tests.groups.conftest import GROUPS, group_path, insert_users, member_rows


async def _count(api: Api, group_id: str) -> int:
    response = await api.get(group_path(group_id))
    assert response.status_code == 200, response.text
    count: int = response.json()["member_count"]
    return count


async def _export_ids(api: Api, group_id: str) -> list[str]:
    ids: list[str] = (await api.get(group_path(group_id, "/export"))).json()["user_ids"]
    return ids


async def test_add_returns_the_group_with_its_new_count(api: Api) -> None:
    group = await api.group("Team")
    first, second = await api.user(), await api.user()

    body = await api.add(group["id"], first.id, second.id)

    assert body["id"] == group["id"]
    assert body["member_count"] == 2
    assert body["updated_at"] >= group["updated_at"]
    assert await _count(api, group["id"]) == 2


async def test_duplicate_adds_count_once(api: Api, database: Database) -> None:
    group = await api.group("Team")
    user = await api.user()

    assert (await api.add(group["id"], user.id, user.id))["member_count"] == 1
    assert (await api.add(group["id"], user.id))["member_count"] == 1

    assert await member_rows(database, group["id"]) == 1
    assert await _export_ids(api, group["id"]) == [user.id]


async def test_empty_or_null_user_ids_change_nothing(api: Api) -> None:
    group = await api.group("Team")
    user = await api.user()
    await api.add(group["id"], user.id)

    bodies: list[dict[str, Any]] = [{"user_ids": []}, {"user_ids": None}, {}]
    for body in bodies:
        for action in ("add", "remove"):
            response = await api.post(group_path(group["id"], f"/users/{action}"), body)
            assert response.status_code == 200, (action, body, response.text)
            assert response.json()["member_count"] == 1


async def test_remove_lowers_the_count(api: Api, database: Database) -> None:
    group = await api.group("Team")
    users = [await api.user() for _ in range(3)]
    await api.add(group["id"], *(user.id for user in users))

    response = await api.post(
        group_path(group["id"], "/users/remove"), {"user_ids": [users[0].id, users[2].id]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["member_count"] == 1
    assert await _export_ids(api, group["id"]) == [users[1].id]
    assert await member_rows(database, group["id"]) == 1


async def test_removing_a_non_member_is_harmless(api: Api) -> None:
    group = await api.group("Team")
    member, outsider = await api.user(), await api.user()
    await api.add(group["id"], member.id)

    response = await api.post(group_path(group["id"], "/users/remove"), {"user_ids": [outsider.id]})

    assert response.status_code == 200, response.text
    assert response.json()["member_count"] == 1


async def test_membership_in_one_group_does_not_touch_another(api: Api) -> None:
    red, blue = await api.group("Red"), await api.group("Blue")
    user = await api.user()
    await api.add(red["id"], user.id)
    await api.add(blue["id"], user.id)

    await api.post(group_path(red["id"], "/users/remove"), {"user_ids": [user.id]})

    assert await _count(api, red["id"]) == 0
    assert await _count(api, blue["id"]) == 1


async def test_deleting_a_user_removes_it_from_every_group(api: Api, database: Database) -> None:
    red, blue = await api.group("Red"), await api.group("Blue")
    leaving, staying = await api.user(), await api.user()
    await api.add(red["id"], leaving.id, staying.id)
    await api.add(blue["id"], leaving.id)

    response = await api.delete(f"/api/v1/users/{leaving.id}")

    assert response.status_code == 200, response.text
    assert await _count(api, red["id"]) == 1
    assert await _count(api, blue["id"]) == 0
    assert await _export_ids(api, red["id"]) == [staying.id]
    assert await member_rows(database, blue["id"]) == 0
    listed = {g["id"]: g["member_count"] for g in (await api.get(f"{GROUPS}/")).json()}
    assert listed == {red["id"]: 1, blue["id"]: 0}


async def test_deleting_a_group_leaves_other_groups_counts(api: Api, database: Database) -> None:
    doomed, kept = await api.group("Doomed"), await api.group("Kept")
    child = await api.group("Child", parent_group_id=doomed["id"])
    users = [await api.user() for _ in range(3)]
    await api.add(doomed["id"], *(user.id for user in users))
    await api.add(kept["id"], users[0].id, users[1].id)
    await api.add(child["id"], users[2].id)

    response = await api.delete(group_path(doomed["id"], "/delete"))

    assert response.status_code == 200, response.text
    assert await member_rows(database, doomed["id"]) == 0
    assert await _count(api, kept["id"]) == 2
    assert await _count(api, child["id"]) == 1
    assert (await api.get(group_path(child["id"]))).json()["parent_group_id"] is None
    # The users themselves survive.
    for user in users:
        assert (await api.get(f"/api/v1/users/{user.id}")).status_code == 200


async def test_concurrent_adds_lose_nothing(api: Api, database: Database) -> None:
    group = await api.group("Crowd")
    user_ids = await insert_users(database, 20)

    responses = await asyncio.gather(
        *(
            api.post(group_path(group["id"], "/users/add"), {"user_ids": [user_id]})
            for user_id in user_ids
        )
    )

    assert [response.status_code for response in responses] == [200] * 20
    assert await _count(api, group["id"]) == 20
    assert await member_rows(database, group["id"]) == 20
    assert await _export_ids(api, group["id"]) == sorted(user_ids)


async def test_concurrent_adds_and_removes_of_different_users(api: Api, database: Database) -> None:
    group = await api.group("Churn")
    leaving = await insert_users(database, 10, "leaving")
    joining = await insert_users(database, 10, "joining")
    await api.add(group["id"], *leaving)

    responses = await asyncio.gather(
        *(
            api.post(group_path(group["id"], "/users/remove"), {"user_ids": [user_id]})
            for user_id in leaving
        ),
        *(
            api.post(group_path(group["id"], "/users/add"), {"user_ids": [user_id]})
            for user_id in joining
        ),
    )

    assert {response.status_code for response in responses} == {200}
    assert await _export_ids(api, group["id"]) == sorted(joining)
