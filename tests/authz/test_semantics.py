"""Open WebUI's merge semantics (reference §5.2) as tables: groups only add rights, keys a group
leaves out come from the defaults, and an ancestor's grants reach the members of its children."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from opengroups.kit.db import Database
from opengroups.permissions import (
    BUILTIN_CATALOG,
    DEFAULT_SOURCE,
    GroupPermissions,
    effective_keys,
    explain,
)
from tests.authz.conftest import has
from tests.conftest import Api

CATALOG_DEFAULTS = dict(BUILTIN_CATALOG.defaults)


def _defaults(**changes: bool) -> dict[str, bool]:
    """The catalog defaults with some keys changed (``chat__delete=False`` for chat.delete)."""
    return {**CATALOG_DEFAULTS, **{k.replace("__", "."): v for k, v in changes.items()}}


def _groups(*trees: dict[str, Any] | None) -> list[GroupPermissions]:
    return [GroupPermissions(f"g{index}", tree) for index, tree in enumerate(trees, start=1)]


# (defaults, group trees, key, expected value, expected sources)
MERGE_TABLE: list[Any] = [
    pytest.param(
        _defaults(), [{"chat": {"delete": False}}], "chat.delete", True, ["default"],
        id="group-false-never-turns-off-a-default-true",
    ),
    pytest.param(
        _defaults(), [{"chat": {"delete": False}}, {"chat": {"delete": False}}],
        "chat.delete", True, ["default"],
        id="several-false-groups-still-cannot-revoke",
    ),
    pytest.param(
        _defaults(), [{"workspace": {"models": True}}], "chat.delete", True, ["default"],
        id="key-missing-from-group-comes-from-defaults-true",
    ),
    pytest.param(
        _defaults(), [{"workspace": {"models": True}}], "features.api_keys", False, [],
        id="key-missing-from-group-comes-from-defaults-false",
    ),
    pytest.param(
        _defaults(), [{"workspace": {"models": True}}], "workspace.models", True, ["g1"],
        id="group-true-adds-a-right",
    ),
    pytest.param(
        _defaults(), [{"workspace": {"models": False}}, {"workspace": {"models": True}}],
        "workspace.models", True, ["g2"],
        id="most-permissive-wins",
    ),
    pytest.param(
        _defaults(), [{"workspace": {"models": True}}, {"workspace": {"models": False}}],
        "workspace.models", True, ["g1"],
        id="most-permissive-wins-whatever-the-order",
    ),
    pytest.param(
        _defaults(chat__delete=False), [{"chat": {"delete": True}}], "chat.delete", True, ["g1"],
        id="restricted-in-defaults-granted-back-by-a-group",
    ),
    pytest.param(
        _defaults(chat__delete=False), [{"chat": {"edit": True}}], "chat.delete", False, [],
        id="restricted-in-defaults-stays-off-without-a-group",
    ),
    pytest.param(
        _defaults(features__api_keys=True), [], "features.api_keys", True, ["default"],
        id="admin-saved-default-grants",
    ),
    pytest.param(
        _defaults(), [{"workspace": {"models": True}}, {"workspace": {"models": True}}],
        "workspace.models", True, ["g1", "g2"],
        id="every-granting-group-is-a-source",
    ),
    pytest.param(
        _defaults(), [None, {}, {"chat": {}}], "workspace.models", False, [],
        id="empty-and-null-trees-grant-nothing",
    ),
    pytest.param(
        _defaults(), [{"chat": {"delete": "true"}}], "chat.delete", True, ["default"],
        id="only-json-true-grants-not-truthy-strings",
    ),
    pytest.param(
        _defaults(chat__delete=False), [{"chat": {"delete": "true"}}, {"chat": {"delete": 1}}],
        "chat.delete", False, [],
        id="stored-non-bool-values-grant-nothing",
    ),
    pytest.param(
        _defaults(), [{"retired": {"feature": True}}], "workspace.models", False, [],
        id="keys-outside-the-catalog-are-ignored",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("defaults", "trees", "key", "value", "sources"), MERGE_TABLE)
def test_merge_semantics(
    defaults: dict[str, bool],
    trees: list[dict[str, Any] | None],
    key: str,
    value: bool,
    sources: list[str],
) -> None:
    groups = _groups(*trees)

    assert (key in effective_keys(BUILTIN_CATALOG, defaults, groups)) is value
    explained = explain(BUILTIN_CATALOG, defaults, groups)[key]
    assert explained.value is value
    assert list(explained.sources) == sources


def test_groups_never_remove_any_default() -> None:
    everything_off = {
        section: dict.fromkeys(leaves, False)
        for section, leaves in BUILTIN_CATALOG.default_tree().items()
    }

    granted = effective_keys(BUILTIN_CATALOG, CATALOG_DEFAULTS, _groups(everything_off))

    assert granted == {key for key, value in CATALOG_DEFAULTS.items() if value}


def test_default_source_name() -> None:
    assert DEFAULT_SOURCE == "default"


# --- through the API: ancestors' grants reach the members of child groups -------------------


async def test_parent_grant_reaches_member_of_child_group(api: Api) -> None:
    parent = await api.group("Engineering", permissions={"workspace": {"models": True}})
    child = await api.group("Backend", parent_group_id=parent["id"])
    grandchild = await api.group("Databases", parent_group_id=child["id"])
    member = await api.user()
    outsider = await api.user()
    await api.add(grandchild["id"], member.id)

    assert await has(api, member, "workspace.models") is True
    assert await has(api, member, "workspace.knowledge") is False
    assert await has(api, outsider, "workspace.models") is False

    response = await api.get(f"/api/v1/users/{member.id}/permissions/explain")
    assert response.status_code == 200, response.text
    body = response.json()
    engineering = {"id": parent["id"], "name": "Engineering"}
    assert body["explanation"]["workspace.models"] == {
        "value": True,
        "sources": [parent["id"]],
        "source_groups": [{**engineering, "path": [engineering]}],
    }
    assert body["explanation"]["chat.delete"] == {
        "value": True,
        "sources": ["default"],
        "source_groups": [],
    }
    assert body["explanation"]["workspace.knowledge"] == {
        "value": False,
        "sources": [],
        "source_groups": [],
    }
    assert body["groups"] == sorted([parent["id"], child["id"], grandchild["id"]])
    assert body["permissions"]["workspace"]["models"] is True
    assert body["admin_bypass"] is False
    assert body["user_id"] == member.id


async def test_explain_lists_every_granting_group_in_the_chain(api: Api) -> None:
    parent = await api.group("Parent", permissions={"features": {"api_keys": True}})
    child = await api.group(
        "Child", parent_group_id=parent["id"], permissions={"features": {"api_keys": True}}
    )
    member = await api.user()
    await api.add(child["id"], member.id)

    body = (await api.get(f"/api/v1/users/{member.id}/permissions/explain")).json()

    assert body["explanation"]["features.api_keys"]["sources"] == sorted(
        [parent["id"], child["id"]]
    )


def _ref(group: dict[str, Any]) -> dict[str, str]:
    return {"id": group["id"], "name": group["name"]}


async def test_explain_names_each_granting_group_and_its_path(api: Api) -> None:
    engineering = await api.group("Engineering", permissions={"features": {"api_keys": True}})
    backend = await api.group(
        "Backend", parent_group_id=engineering["id"], permissions={"features": {"api_keys": True}}
    )
    databases = await api.group("Databases", parent_group_id=backend["id"])
    ops = await api.group("Ops", permissions={"workspace": {"models": True}})
    member = await api.user()
    await api.add(databases["id"], member.id)
    await api.add(ops["id"], member.id)

    body = (await api.get(f"/api/v1/users/{member.id}/permissions/explain")).json()

    api_keys = body["explanation"]["features.api_keys"]
    assert api_keys["sources"] == sorted([engineering["id"], backend["id"]])
    by_id = {source["id"]: source for source in api_keys["source_groups"]}
    assert [source["id"] for source in api_keys["source_groups"]] == api_keys["sources"]
    assert by_id[backend["id"]] == {
        **_ref(backend),
        "path": [_ref(engineering), _ref(backend)],
    }
    assert by_id[engineering["id"]]["path"] == [_ref(engineering)]
    assert body["explanation"]["workspace.models"]["source_groups"] == [
        {**_ref(ops), "path": [_ref(ops)]}
    ]
    assert body["explanation"]["chat.delete"]["source_groups"] == []

    details = {detail["id"]: detail for detail in body["group_details"]}
    assert [detail["id"] for detail in body["group_details"]] == body["groups"]
    assert details[databases["id"]] == {
        **_ref(databases),
        "path": [_ref(engineering), _ref(backend), _ref(databases)],
        "membership": "direct",
        "via": [],
    }
    assert details[engineering["id"]]["membership"] == "inherited"
    assert details[engineering["id"]]["via"] == [_ref(databases)]
    assert details[backend["id"]]["via"] == [_ref(databases)]
    assert details[ops["id"]]["membership"] == "direct"


async def test_explain_names_every_direct_group_an_inherited_one_comes_through(
    api: Api,
) -> None:
    company = await api.group("Company")
    sales = await api.group("Sales", parent_group_id=company["id"])
    legal = await api.group("Legal", parent_group_id=company["id"])
    member = await api.user()
    await api.add(sales["id"], member.id)
    await api.add(legal["id"], member.id)
    await api.add(company["id"], member.id)

    body = (await api.get(f"/api/v1/users/{member.id}/permissions/explain")).json()

    details = {detail["id"]: detail for detail in body["group_details"]}
    # Direct itself, and also reached through both children (by name).
    assert details[company["id"]]["membership"] == "direct"
    assert details[company["id"]]["via"] == [_ref(legal), _ref(sales)]


async def test_explain_answers_despite_a_cycle_written_outside_the_api(
    api: Api, database: Database
) -> None:
    top = await api.group("Top", permissions={"workspace": {"models": True}})
    below = await api.group("Below", parent_group_id=top["id"])
    member = await api.user()
    await api.add(below["id"], member.id)
    async with database.session() as session:
        await session.execute(
            text('UPDATE "group" SET parent_group_id = :below WHERE id = :top'),
            {"below": below["id"], "top": top["id"]},
        )

    response = await api.get(f"/api/v1/users/{member.id}/permissions/explain")

    assert response.status_code == 200, response.text
    details = {detail["id"]: detail for detail in response.json()["group_details"]}
    assert [ref["id"] for ref in details[below["id"]]["path"]] == [top["id"], below["id"]]
    assert [ref["id"] for ref in details[top["id"]]["path"]] == [below["id"], top["id"]]


async def test_child_grant_does_not_reach_member_of_parent(api: Api) -> None:
    parent = await api.group("Company")
    await api.group(
        "Admins", parent_group_id=parent["id"], permissions={"features": {"api_keys": True}}
    )
    member = await api.user()
    await api.add(parent["id"], member.id)

    assert await has(api, member, "features.api_keys") is False


async def test_explain_of_the_caller_and_of_others(api: Api) -> None:
    group = await api.group("Writers", permissions={"workspace": {"prompts": True}})
    member = await api.user()
    other = await api.user()
    await api.add(group["id"], member.id)

    mine = await api.get("/api/v1/users/permissions/explain", member)
    assert mine.status_code == 200, mine.text
    assert mine.json()["explanation"]["workspace.prompts"]["sources"] == [group["id"]]

    assert (
        await api.get(f"/api/v1/users/{other.id}/permissions/explain", member)
    ).status_code == 403
    assert (await api.get(f"/api/v1/users/{other.id}/permissions", member)).status_code == 403
    assert (await api.get("/api/v1/users/nobody/permissions/explain")).status_code == 404
