"""Optimistic concurrency: ETag on reads, If-Match on writes (412), If-None-Match (304)."""

from __future__ import annotations

import asyncio

from opengroups.kit.db import Database
from tests.conftest import Api, refused


async def test_group_get_has_an_etag_that_changes_with_the_group(api: Api) -> None:
    group = await api.group("Tagged")
    first = await api.get(f"/api/v1/groups/id/{group['id']}")
    tag = first.headers["etag"]
    assert tag.startswith('"')

    same = await api.client.get(
        f"/api/v1/groups/id/{group['id']}",
        headers={**(await api.admin()).headers, "If-None-Match": tag},
    )
    assert same.status_code == 304
    assert same.headers["etag"] == tag

    member = await api.user()
    added = await api.add(group["id"], member.id)  # membership changes the group too
    assert added["member_count"] == 1
    after = await api.get(f"/api/v1/groups/id/{group['id']}")
    assert after.headers["etag"] != tag
    again = await api.client.get(
        f"/api/v1/groups/id/{group['id']}",
        headers={**(await api.admin()).headers, "If-None-Match": tag},
    )
    assert again.status_code == 200


async def test_if_match_refuses_a_stale_update_and_writes_nothing(
    api: Api, database: Database
) -> None:
    group = await api.group("Contested")
    admin = await api.admin()
    tag = (await api.get(f"/api/v1/groups/id/{group['id']}")).headers["etag"]
    ok = await api.client.post(
        f"/api/v1/groups/id/{group['id']}/update",
        json={"description": "first editor"},
        headers={**admin.headers, "If-Match": tag},
    )
    assert ok.status_code == 200
    assert ok.headers["etag"] != tag

    stale = api.client.post(
        f"/api/v1/groups/id/{group['id']}/update",
        json={"description": "second editor"},
        headers={**admin.headers, "If-Match": tag},
    )
    response = await refused(database, stale, 412)
    assert "changed" in response.json()["detail"]
    empty: dict[str, list[str]] = {"user_ids": []}
    for path, body in (
        (f"/api/v1/groups/id/{group['id']}/users/add", empty),
        (f"/api/v1/groups/id/{group['id']}/users/remove", empty),
    ):
        await refused(
            database,
            api.client.post(path, json=body, headers={**admin.headers, "If-Match": tag}),
            412,
        )
    await refused(
        database,
        api.client.delete(
            f"/api/v1/groups/id/{group['id']}/delete", headers={**admin.headers, "If-Match": tag}
        ),
        412,
    )
    current = ok.headers["etag"]
    star = await api.client.post(
        f"/api/v1/groups/id/{group['id']}/update",
        json={"description": "any version"},
        headers={**admin.headers, "If-Match": "*"},
    )
    assert star.status_code == 200
    assert star.headers["etag"] != current


async def test_requests_without_headers_behave_as_before(api: Api) -> None:
    group = await api.group("Plain")
    for description in ("one", "two"):
        response = await api.post(
            f"/api/v1/groups/id/{group['id']}/update", {"description": description}
        )
        assert response.status_code == 200
    assert (await api.delete(f"/api/v1/groups/id/{group['id']}/delete")).status_code == 200


async def test_two_concurrent_updates_with_one_if_match_exactly_one_wins(api: Api) -> None:
    group = await api.group("Race")
    admin = await api.admin()
    tag = (await api.get(f"/api/v1/groups/id/{group['id']}")).headers["etag"]

    async def update(description: str) -> int:
        response = await api.client.post(
            f"/api/v1/groups/id/{group['id']}/update",
            json={"description": description},
            headers={**admin.headers, "If-Match": tag},
        )
        return response.status_code

    statuses = sorted(await asyncio.gather(*(update(f"editor {i}") for i in range(2))))

    assert statuses == [200, 412]


async def test_users_have_etags_too(api: Api, database: Database) -> None:
    user = await api.user()
    admin = await api.admin()
    tag = (await api.get(f"/api/v1/users/{user.id}")).headers["etag"]
    not_modified = await api.client.get(
        f"/api/v1/users/{user.id}", headers={**admin.headers, "If-None-Match": tag}
    )
    assert not_modified.status_code == 304
    renamed = await api.client.post(
        f"/api/v1/users/{user.id}/update",
        json={"name": "Renamed"},
        headers={**admin.headers, "If-Match": tag},
    )
    assert renamed.status_code == 200
    await refused(
        database,
        api.client.post(
            f"/api/v1/users/{user.id}/update",
            json={"name": "Again"},
            headers={**admin.headers, "If-Match": tag},
        ),
        412,
    )
    await refused(
        database,
        api.client.delete(f"/api/v1/users/{user.id}", headers={**admin.headers, "If-Match": tag}),
        412,
    )
    fresh = renamed.headers["etag"]
    deleted = await api.client.delete(
        f"/api/v1/users/{user.id}", headers={**admin.headers, "If-Match": fresh}
    )
    assert deleted.status_code == 200
