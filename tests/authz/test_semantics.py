"""Open WebUI's merge semantics (reference §5.2) as tables: groups only add rights, keys a group
leaves out come from the defaults, and an ancestor's grants reach the members of its children."""

from __future__ import annotations

from typing import Any

import pytest

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
    assert body["explanation"]["workspace.models"] == {"value": True, "sources": [parent["id"]]}
    assert body["explanation"]["chat.delete"] == {"value": True, "sources": ["default"]}
    assert body["explanation"]["workspace.knowledge"] == {"value": False, "sources": []}
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
