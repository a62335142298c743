"""Which groups a caller sees (SPEC §1/§2): the share matrix of ``GET /groups/``, ``/info``, and
what non-admins may not read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from opengroups.kit.db import Database
from tests.conftest import Account, Api, StartApi
from tests.groups.conftest import GROUPS, clear_group_data, group_path, set_group_fields

# How each kind of group gets its share value: through the API, or written directly in SQL
# (what the API would normalise away, but older rows or other writers may hold).
API_SHARE: dict[str, Any] = {"true": True, "members": "members", "false": False}
SQL_DATA: dict[str, dict[str, Any]] = {
    "empty-config": {"config": {}},
    "str-false": {"config": {"share": "false"}},
    "str-members": {"config": {"share": "MEMBERS"}},
    "str-true": {"config": {"share": "True"}},
}
KINDS = [*API_SHARE, "absent", *SQL_DATA]
SHARED_WITH_ALL = {"true", "absent", "empty-config", "str-true"}
MEMBERS_ONLY = {"members", "str-members"}
NOT_SHARED = {"false", "str-false"}


@dataclass
class World:
    viewer: Account
    ids: dict[str, str]  # name ("<kind> in" / "<kind> out") -> group id

    def names(self, ids: list[str]) -> set[str]:
        by_id = {group_id: name for name, group_id in self.ids.items()}
        return {by_id[group_id] for group_id in ids}


async def _group_of_kind(api: Api, database: Database, name: str, kind: str) -> str:
    if kind in API_SHARE:
        group = await api.group(name, data={"config": {"share": API_SHARE[kind]}})
    else:
        group = await api.group(name)
        if kind == "absent":
            await clear_group_data(database, group["id"])
        else:
            await set_group_fields(database, group["id"], data=SQL_DATA[kind])
    return str(group["id"])


@pytest.fixture
async def world(api: Api, database: Database) -> World:
    """For every kind of share, one group the viewer is in and one it is not in."""
    viewer = await api.user()
    ids: dict[str, str] = {}
    for kind in KINDS:
        ids[f"{kind} in"] = await _group_of_kind(api, database, f"{kind} in", kind)
        ids[f"{kind} out"] = await _group_of_kind(api, database, f"{kind} out", kind)
        await api.add(ids[f"{kind} in"], viewer.id)
    return World(viewer, ids)


def _expected(share: str | None) -> set[str]:
    if share is None:
        return {f"{kind} in" for kind in KINDS}
    if share == "true":
        return {f"{kind} {side}" for kind in SHARED_WITH_ALL for side in ("in", "out")} | {
            f"{kind} in" for kind in MEMBERS_ONLY
        }
    return {f"{kind} in" for kind in NOT_SHARED}


async def _list(api: Api, account: Account, share: str | None) -> list[dict[str, Any]]:
    params = {} if share is None else {"share": share}
    response = await api.get(f"{GROUPS}/", account, **params)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    assert response.headers["X-Total-Count"] == str(len(body))
    return body


@pytest.mark.parametrize("share", [None, "true", "false"])
async def test_non_admin_sees_the_share_matrix(api: Api, world: World, share: str | None) -> None:
    groups = await _list(api, world.viewer, share)

    ids = [group["id"] for group in groups]
    assert len(ids) == len(set(ids))
    assert world.names(ids) == _expected(share)


@pytest.mark.parametrize("share", [None, "true", "false"])
async def test_admin_sees_every_group_whatever_share_says(
    api: Api, world: World, share: str | None
) -> None:
    groups = await _list(api, await api.admin(), share)

    assert world.names([group["id"] for group in groups]) == set(world.ids)


async def test_a_new_user_sees_nothing_of_its_own(api: Api, world: World) -> None:
    stranger = await api.user()

    assert await _list(api, stranger, None) == []
    assert await _list(api, stranger, "false") == []
    shared = await _list(api, stranger, "true")
    assert world.names([group["id"] for group in shared]) == {
        f"{kind} {side}" for kind in SHARED_WITH_ALL for side in ("in", "out")
    }


async def test_info_follows_visibility(api: Api, world: World) -> None:
    for name, group_id in world.ids.items():
        kind, side = name.rsplit(" ", 1)
        visible = side == "in" or kind in SHARED_WITH_ALL

        response = await api.get(group_path(group_id, "/info"), world.viewer)

        assert response.status_code == (200 if visible else 404), name
        if visible:
            body = response.json()
            assert body["id"] == group_id
            assert body["name"] == name
            assert body["member_count"] == (1 if side == "in" else 0)
            assert "permissions" not in body
            assert "meta" not in body


async def test_admin_may_read_info_of_any_group(api: Api, world: World) -> None:
    for group_id in world.ids.values():
        assert (await api.get(group_path(group_id, "/info"))).status_code == 200


async def test_inherited_membership_counts_for_visibility(api: Api) -> None:
    viewer = await api.user()
    members_parent = await api.group("Members parent", data={"config": {"share": "members"}})
    closed_parent = await api.group("Closed parent", data={"config": {"share": False}})
    members_child = await api.group("Members child", parent_group_id=members_parent["id"])
    closed_child = await api.group("Closed child", parent_group_id=closed_parent["id"])
    await api.add(members_child["id"], viewer.id)
    await api.add(closed_child["id"], viewer.id)

    shared = {group["name"] for group in await _list(api, viewer, "true")}
    not_shared = {group["name"] for group in await _list(api, viewer, "false")}

    assert {"Members parent", "Members child", "Closed child"} <= shared
    assert "Closed parent" not in shared
    assert not_shared == {"Closed parent"}
    for group in (members_parent, closed_parent):
        assert (await api.get(group_path(group["id"], "/info"), viewer)).status_code == 200


async def test_non_admins_never_read_permissions_or_meta(api: Api, database: Database) -> None:
    viewer = await api.user()
    permissions = {"workspace": {"models": True}}
    meta = {"source_system": "idp", "custom_data": {"k": "v"}}
    group = await api.group("Secretive", permissions=permissions)
    await set_group_fields(database, group["id"], meta=meta)
    await api.add(group["id"], viewer.id)

    for share in (None, "true"):
        (seen,) = await _list(api, viewer, share)
        assert seen["id"] == group["id"]
        assert seen["permissions"] is None
        assert seen["meta"] is None
        assert seen["data"] == {"config": {"share": "members"}}
        assert seen["member_count"] == 1

    (as_admin,) = await _list(api, await api.admin(), None)
    assert as_admin["permissions"] == permissions
    assert as_admin["meta"] == meta
    own = (await api.get("/api/v1/users/groups", viewer)).json()
    assert [(g["permissions"], g["meta"]) for g in own] == [(None, None)]


@pytest.mark.parametrize("default", [False, "members"])
async def test_default_share_is_written_into_new_groups_and_absent_share_reads_true(
    start_api: StartApi, default: bool | str
) -> None:
    started = await start_api(default_group_share=default)
    api = started.api
    member = await api.user()
    outsider = await api.user()
    created = await api.group("Created without share")
    legacy = await api.group("Legacy row")
    await clear_group_data(started.database, legacy["id"])
    for group in (created, legacy):
        await api.add(group["id"], member.id)

    assert created["data"] == {"config": {"share": default}}
    shared_with_outsider = {g["name"] for g in await _list(api, outsider, "true")}
    shared_with_member = {g["name"] for g in await _list(api, member, "true")}
    not_shared_for_member = {g["name"] for g in await _list(api, member, "false")}
    # A row stored without ``share`` reads as the seed says: shared with everyone.
    assert shared_with_outsider == {"Legacy row"}
    assert shared_with_member == (
        {"Created without share", "Legacy row"} if default == "members" else {"Legacy row"}
    )
    assert not_shared_for_member == (set() if default == "members" else {"Created without share"})
    info = await api.get(group_path(legacy["id"], "/info"), outsider)
    assert info.status_code == 200


async def test_new_groups_are_visible_to_their_members_only_by_default(api: Api) -> None:
    group = await api.group("Private by default")
    member = await api.user()
    outsider = await api.user()
    await api.add(group["id"], member.id)

    assert group["data"] == {"config": {"share": "members"}}
    assert [g["name"] for g in await _list(api, member, "true")] == ["Private by default"]
    assert await _list(api, outsider, "true") == []
