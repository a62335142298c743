"""``GET /groups/id/{id}/preview``: what membership of a group gives — its default models, the
resources readable through it or an ancestor (or by everyone), and its own, inherited and
effective permissions."""

from __future__ import annotations

from typing import Any

from opengroups.permissions import BUILTIN_CATALOG
from tests.authz.conftest import DEFAULTS
from tests.conftest import Api
from tests.grants.conftest import grant, set_grants


def _preview_path(group_id: str) -> str:
    return f"/api/v1/groups/id/{group_id}/preview"


def _tree(**changes: bool) -> dict[str, Any]:
    """The built-in defaults as a tree with some keys changed (``chat__delete=False``)."""
    tree = BUILTIN_CATALOG.default_tree()
    for dotted, value in changes.items():
        section, leaf = dotted.split("__")
        tree[section][leaf] = value
    return tree


def _listing(*ids: str) -> dict[str, Any]:
    return {"items": [{"id": rid, "name": rid} for rid in ids], "total": len(ids)}


async def test_preview_of_a_child_group(api: Api) -> None:
    parent = await api.group(
        "Parent",
        permissions={"workspace": {"models": True}},
        data={"config": {"default_models": ["m1", "m2"]}},
    )
    own = {"workspace": {"knowledge": True}, "chat": {"delete": True}}
    child = await api.group("Child", parent_group_id=parent["id"], permissions=own)
    await api.group(
        "Grandchild", parent_group_id=child["id"], permissions={"features": {"api_keys": True}}
    )
    unrelated = await api.group("Unrelated")
    assert (await api.post(DEFAULTS, {"chat": {"delete": False}})).status_code == 200
    await set_grants(api, "model/m-parent", grant("group", parent["id"]))
    await set_grants(api, "model/m-public", grant("user", "*"))
    await set_grants(api, "model/m-write-only", grant("group", child["id"], "write"))
    await set_grants(api, "model/m-unrelated", grant("group", unrelated["id"]))
    await set_grants(api, "knowledge/k-child", grant("group", child["id"]))
    await set_grants(api, "tool/t-public", grant("user", "*"))
    await set_grants(api, "note/n-parent", grant("group", parent["id"]))

    response = await api.get(_preview_path(child["id"]))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group"] == {"id": child["id"], "name": "Child"}
    assert body["default_models"] == {
        "local": [],
        "effective": ["m1", "m2"],
        "source_group_id": parent["id"],
    }
    assert body["models"] == _listing("m-parent", "m-public")
    assert body["knowledge"] == _listing("k-child")
    assert body["tools"] == _listing("t-public")
    assert body["resources"]["note"] == _listing("n-parent")
    assert body["permissions"] == own
    assert body["inherited_permissions"] == _tree(workspace__models=True, chat__delete=False)
    assert body["effective_permissions"] == _tree(
        workspace__models=True, workspace__knowledge=True, chat__delete=True
    )


async def test_preview_of_a_top_group_with_its_own_default_models(api: Api) -> None:
    parent = await api.group("Parent", data={"config": {"default_models": ["m1"]}})
    child = await api.group(
        "Child", parent_group_id=parent["id"], data={"config": {"default_models": ["c1"]}}
    )

    child_body = (await api.get(_preview_path(child["id"]))).json()
    parent_body = (await api.get(_preview_path(parent["id"]))).json()

    assert child_body["default_models"] == {
        "local": ["c1"],
        "effective": ["c1"],
        "source_group_id": child["id"],
    }
    assert parent_body["default_models"] == {
        "local": ["m1"],
        "effective": ["m1"],
        "source_group_id": parent["id"],
    }
    assert parent_body["permissions"] == {}
    assert parent_body["inherited_permissions"] == BUILTIN_CATALOG.default_tree()
    assert parent_body["effective_permissions"] == BUILTIN_CATALOG.default_tree()
    assert parent_body["models"] == _listing()


async def test_preview_without_default_models(api: Api) -> None:
    group = await api.group("Bare")

    body = (await api.get(_preview_path(group["id"]))).json()

    assert body["default_models"] == {"local": [], "effective": [], "source_group_id": None}


async def test_preview_of_an_unknown_group_is_404(api: Api) -> None:
    await api.admin()

    response = await api.get(_preview_path("00000000-0000-4000-8000-00000000f00d"))

    assert response.status_code == 404


async def test_preview_is_for_admins(api: Api) -> None:
    group = await api.group("Team")
    user = await api.user()
    await api.add(group["id"], user.id)

    assert (await api.get(_preview_path(group["id"]), user)).status_code == 403
