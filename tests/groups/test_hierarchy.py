"""The group hierarchy: effective membership through descendants, deletion re-parents,
cycles and depth are refused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from opengroups.kit.db import Database
from tests.conftest import Account, Api, StartApi, refused
from tests.groups.conftest import GROUPS, group_path, member_rows


@dataclass
class Tree:
    """A → B → C, with ``deep`` a direct member of C, ``top`` of A, ``both`` of A and C."""

    a: dict[str, Any]
    b: dict[str, Any]
    c: dict[str, Any]
    deep: Account
    top: Account
    both: Account


@pytest.fixture
async def tree(api: Api) -> Tree:
    a = await api.group("A")
    b = await api.group("B", parent_group_id=a["id"])
    c = await api.group("C", parent_group_id=b["id"])
    deep = await api.user(name="Deep")
    top = await api.user(name="Top")
    both = await api.user(name="Both")
    await api.add(c["id"], deep.id, both.id)
    await api.add(a["id"], top.id, both.id)
    return Tree(a, b, c, deep, top, both)


async def _members(api: Api, group_id: str, **params: Any) -> dict[str, Any]:
    response = await api.get(group_path(group_id, "/members"), **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_member_of_a_grandchild_belongs_to_every_ancestor(api: Api, tree: Tree) -> None:
    response = await api.get(f"{GROUPS}/", tree.deep)

    assert {group["name"] for group in response.json()} == {"A", "B", "C"}
    top_groups = await api.get(f"{GROUPS}/", tree.top)
    assert {group["name"] for group in top_groups.json()} == {"A"}


async def test_effective_members_say_how_they_belong(api: Api, tree: Tree) -> None:
    body = await _members(api, tree.a["id"], membership="effective")

    by_id = {item["id"]: item for item in body["items"]}
    assert set(by_id) == {tree.deep.id, tree.top.id, tree.both.id}
    assert by_id[tree.deep.id]["membership_type"] == "inherited"
    assert by_id[tree.deep.id]["via_group_ids"] == [tree.c["id"]]
    assert by_id[tree.deep.id]["sources"] == []
    assert by_id[tree.top.id]["membership_type"] == "direct"
    assert by_id[tree.top.id]["via_group_ids"] == []
    assert by_id[tree.top.id]["sources"] == ["manual"]
    assert by_id[tree.both.id]["membership_type"] == "direct"
    assert by_id[tree.both.id]["via_group_ids"] == [tree.c["id"]]
    assert [item["name"] for item in body["items"]] == ["Both", "Deep", "Top"]
    assert body["total"] == 3
    assert body["counts"] == {"direct": 2, "inherited": 1, "effective": 3}


@pytest.mark.parametrize(
    ("membership", "expected"),
    [
        ("direct", {"Top", "Both"}),
        ("inherited", {"Deep"}),
        ("effective", {"Top", "Both", "Deep"}),
    ],
)
async def test_membership_filter(api: Api, tree: Tree, membership: str, expected: set[str]) -> None:
    body = await _members(api, tree.a["id"], membership=membership)

    assert {item["name"] for item in body["items"]} == expected
    assert body["total"] == len(expected)
    assert body["counts"] == {"direct": 2, "inherited": 1, "effective": 3}


async def test_members_of_the_middle_group(api: Api, tree: Tree) -> None:
    body = await _members(api, tree.b["id"])

    assert {item["name"] for item in body["items"]} == {"Deep", "Both"}
    assert {item["membership_type"] for item in body["items"]} == {"inherited"}
    assert body["counts"] == {"direct": 0, "inherited": 2, "effective": 2}
    assert (await api.get(group_path(tree.b["id"]))).json()["member_count"] == 0


async def test_members_page_and_search(api: Api, tree: Tree) -> None:
    first = await _members(api, tree.a["id"], limit=2, page=1)
    second = await _members(api, tree.a["id"], limit=2, page=2)
    searched = await _members(api, tree.a["id"], query="dee")

    assert [item["name"] for item in first["items"]] == ["Both", "Deep"]
    assert [item["name"] for item in second["items"]] == ["Top"]
    assert first["total"] == second["total"] == 3
    assert [item["name"] for item in searched["items"]] == ["Deep"]
    assert searched["total"] == 1


async def test_deleting_a_middle_group_moves_its_children_up(
    api: Api, database: Database, tree: Tree
) -> None:
    response = await api.delete(group_path(tree.b["id"], "/delete"))

    assert response.status_code == 200, response.text
    c = (await api.get(group_path(tree.c["id"]))).json()
    assert c["parent_group_id"] == tree.a["id"]
    assert c["member_count"] == 2
    assert (await api.get(group_path(tree.b["id"]))).status_code == 404
    body = await _members(api, tree.a["id"])
    assert body["counts"] == {"direct": 2, "inherited": 1, "effective": 3}
    assert await member_rows(database, tree.c["id"]) == 2


async def test_deleting_a_top_group_makes_its_children_top_level(
    api: Api, database: Database, tree: Tree
) -> None:
    response = await api.delete(group_path(tree.a["id"], "/delete"))

    assert response.status_code == 200, response.text
    assert await member_rows(database, tree.a["id"]) == 0
    b = (await api.get(group_path(tree.b["id"]))).json()
    c = (await api.get(group_path(tree.c["id"]))).json()
    assert b["parent_group_id"] is None
    assert c["parent_group_id"] == tree.b["id"]
    assert c["member_count"] == 2
    assert {g["name"] for g in (await api.get(f"{GROUPS}/", tree.top)).json()} == set()
    assert {g["name"] for g in (await api.get(f"{GROUPS}/", tree.deep)).json()} == {"B", "C"}


async def test_moving_a_group_out_ends_inherited_membership(api: Api, tree: Tree) -> None:
    response = await api.post(group_path(tree.c["id"], "/update"), {"parent_group_id": None})

    assert response.status_code == 200, response.text
    assert {g["name"] for g in (await api.get(f"{GROUPS}/", tree.deep)).json()} == {"C"}
    assert (await _members(api, tree.a["id"]))["counts"]["inherited"] == 0


@pytest.mark.parametrize(
    ("moved", "new_parent"),
    [("a", "a"), ("a", "b"), ("a", "c"), ("b", "c"), ("c", "c")],
    ids=["A-under-A", "A-under-B", "A-under-C", "B-under-C", "C-under-C"],
)
async def test_cycles_are_400(
    api: Api, database: Database, tree: Tree, moved: str, new_parent: str
) -> None:
    group = getattr(tree, moved)
    parent = getattr(tree, new_parent)

    response = await refused(
        database,
        api.post(group_path(group["id"], "/update"), {"parent_group_id": parent["id"]}),
        400,
    )

    assert isinstance(response.json()["detail"], str)


async def test_setting_the_same_parent_again_is_accepted(api: Api, tree: Tree) -> None:
    response = await api.post(
        group_path(tree.c["id"], "/update"), {"parent_group_id": tree.b["id"]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["parent_group_id"] == tree.b["id"]


async def _chain(api: Api, length: int, prefix: str) -> list[str]:
    ids: list[str] = []
    for level in range(length):
        parent = {"parent_group_id": ids[-1]} if ids else {}
        ids.append((await api.group(f"{prefix}{level}", **parent))["id"])
    return ids


async def test_default_depth_is_twenty(api: Api, database: Database) -> None:
    chain = await _chain(api, 20, "Level ")

    response = await refused(
        database,
        api.post(f"{GROUPS}/create", {"name": "Too deep", "parent_group_id": chain[-1]}),
        400,
    )

    assert "20" in response.json()["detail"]
    sibling = await api.post(f"{GROUPS}/create", {"name": "Fits", "parent_group_id": chain[-2]})
    assert sibling.status_code == 200, sibling.text


async def test_depth_setting_limits_create_and_move(start_api: StartApi) -> None:
    started = await start_api(max_group_depth=3)
    api, database = started.api, started.database
    chain = await _chain(api, 3, "Chain ")
    pair = await _chain(api, 2, "Pair ")

    await refused(
        database, api.post(f"{GROUPS}/create", {"name": "Fourth", "parent_group_id": chain[2]}), 400
    )
    # The pair is two levels high: under the second level it would reach four.
    await refused(
        database,
        api.post(group_path(pair[0], "/update"), {"parent_group_id": chain[1]}),
        400,
    )
    moved = await api.post(group_path(pair[0], "/update"), {"parent_group_id": chain[0]})
    assert moved.status_code == 200, moved.text
    assert (await api.get(group_path(pair[1]))).json()["parent_group_id"] == pair[0]
