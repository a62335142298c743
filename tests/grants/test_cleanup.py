"""Deleting a group or a user removes the grants naming it in the same request (SPEC §4), and
nothing else."""

from __future__ import annotations

from opengroups.kit.db import Database
from tests.conftest import Api
from tests.grants.conftest import grant, grant_rows, may, set_grants


async def test_deleting_a_group_removes_its_grants(api: Api, database: Database) -> None:
    doomed = await api.group("Doomed")
    kept = await api.group("Kept")
    user = await api.user()
    await set_grants(
        api,
        "model/m",
        grant("group", doomed["id"]),
        grant("group", doomed["id"], "write"),
        grant("group", kept["id"]),
        grant("user", user.id),
    )
    await set_grants(api, "knowledge/k", grant("group", doomed["id"]))

    response = await api.delete(f"/api/v1/groups/id/{doomed['id']}/delete")

    assert response.status_code == 200, response.text
    assert await grant_rows(database) == {
        ("model", "m", "group", kept["id"], "read"),
        ("model", "m", "user", user.id, "read"),
    }


async def test_deleting_a_parent_keeps_grants_of_children(api: Api, database: Database) -> None:
    parent = await api.group("Parent")
    child = await api.group("Child", parent_group_id=parent["id"])
    member = await api.user()
    await api.add(child["id"], member.id)
    await set_grants(api, "model/via-parent", grant("group", parent["id"]))
    await set_grants(api, "model/via-child", grant("group", child["id"]))
    assert await may(api, "model/via-parent", member) is True

    assert (await api.delete(f"/api/v1/groups/id/{parent['id']}/delete")).status_code == 200

    assert await grant_rows(database) == {("model", "via-child", "group", child["id"], "read")}
    assert await may(api, "model/via-parent", member) is False
    assert await may(api, "model/via-child", member) is True


async def test_deleting_a_user_removes_their_grants(api: Api, database: Database) -> None:
    group = await api.group("Team")
    doomed, kept = await api.user(), await api.user()
    await set_grants(
        api,
        "model/m",
        grant("user", doomed.id),
        grant("user", doomed.id, "write"),
        grant("user", kept.id),
        grant("user", "*"),
        grant("group", group["id"]),
    )
    await set_grants(api, "note/n", grant("user", doomed.id, "write"))

    response = await api.delete(f"/api/v1/users/{doomed.id}")

    assert response.status_code == 200, response.text
    assert await grant_rows(database) == {
        ("model", "m", "user", kept.id, "read"),
        ("model", "m", "user", "*", "read"),
        ("model", "m", "group", group["id"], "read"),
    }


async def test_refused_deletion_keeps_the_grants(api: Api, database: Database) -> None:
    admin = await api.admin()
    await set_grants(api, "model/m", grant("user", admin.id, "write"))

    response = await api.delete(f"/api/v1/users/{admin.id}")

    assert response.status_code == 403
    assert await grant_rows(database) == {("model", "m", "user", admin.id, "write")}
