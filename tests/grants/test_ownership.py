"""Who owns a resource's grants: the first writer. Nobody can claim a resource that is already
known, not even one an admin made private with no grants at all."""

from __future__ import annotations

from opengroups.kit.db import Database
from tests.conftest import Api, StartApi, snapshot
from tests.grants.conftest import GRANTS, grant, may, put_grants, set_grants


async def test_a_private_resource_cannot_be_claimed_by_a_user(api: Api, database: Database) -> None:
    user = await api.user()
    made_private = await put_grants(api, "note/secret", {"access_control": {}})
    assert made_private.status_code == 200
    assert made_private.json()["grants"] == []
    before = await snapshot(database)

    claim = await put_grants(
        api, "note/secret", {"grants": [grant("user", user.id, "write")]}, user
    )

    assert claim.status_code == 403
    assert await snapshot(database) == before
    assert not await may(api, "note/secret", user, "write")


async def test_the_first_writer_owns_the_resource_and_keeps_managing_it(api: Api) -> None:
    owner, other = await api.user(), await api.user()
    created = await set_grants(api, "note/mine", grant("user", other.id), account=owner)
    assert created["owner_id"] == owner.id

    # The owner holds no write grant, yet may read and change the grants.
    read = await api.get(f"{GRANTS}/note/mine", owner)
    assert read.status_code == 200
    assert read.json()["owner_id"] == owner.id
    changed = await put_grants(api, "note/mine", {"grants": []}, owner)
    assert changed.status_code == 200
    # Someone who was only granted read may not.
    await set_grants(api, "note/mine", grant("user", other.id), account=owner)
    assert (await put_grants(api, "note/mine", {"grants": []}, other)).status_code == 403


async def test_admin_manages_any_resource_even_without_the_bypass(start_api: StartApi) -> None:
    api = (await start_api(admin_bypass=False)).api
    owner = await api.user()
    await set_grants(api, "note/owned", grant("user", owner.id, "write"), account=owner)
    admin_change = await put_grants(api, "note/owned", {"grants": []})
    assert admin_change.status_code == 200


async def test_deleting_the_owner_leaves_the_resource_unowned(api: Api) -> None:
    owner = await api.user()
    await set_grants(api, "note/orphan", grant("user", owner.id), account=owner)

    assert (await api.delete(f"/api/v1/users/{owner.id}")).status_code == 200

    body = (await api.get(f"{GRANTS}/note/orphan")).json()
    assert body["owner_id"] is None
    assert body["grants"] == []


async def test_preview_lists_resources_open_to_anyone(api: Api) -> None:
    group = await api.group("Readers")
    await set_grants(api, "model/public-model", grant("anyone", "*"))
    await set_grants(api, "model/everyone-signed-in", grant("user", "*"))

    preview = (await api.get(f"/api/v1/groups/id/{group['id']}/preview")).json()

    ids = [item["id"] for item in preview["models"]["items"]]
    assert ids == ["everyone-signed-in", "public-model"]
