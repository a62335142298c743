"""Permission routes over HTTP: group trees checked against the catalog, the admin-editable
defaults, the batch check, the catalog route and the permissions in ``GET /auths/``."""

from __future__ import annotations

from typing import Any

import pytest

from opengroups.kit.db import Database
from opengroups.permissions import BUILTIN_CATALOG
from tests.authz.conftest import CHECK, DEFAULTS, has, my_permissions
from tests.conftest import Api, StartApi, refused

BAD_TREES = [
    pytest.param({"features": {"nope": True}}, "permissions.features.nope", id="unknown-key"),
    pytest.param({"nope": {"x": True}}, "permissions.nope", id="unknown-section"),
    pytest.param({"chat": {"delete": "yes"}}, "permissions.chat.delete", id="non-bool-leaf"),
    pytest.param({"chat": True}, "permissions.chat", id="leaf-for-a-section"),
]


def _full_tree(**changes: bool) -> dict[str, Any]:
    """The built-in defaults as a tree, with some dotted keys changed."""
    tree = BUILTIN_CATALOG.default_tree()
    for dotted, value in changes.items():
        section, leaf = dotted.split("__")
        tree[section][leaf] = value
    return tree


# --- group trees -----------------------------------------------------------------------------


@pytest.mark.parametrize(("tree", "path"), BAD_TREES)
async def test_create_group_with_permissions_outside_the_catalog_is_422(
    api: Api, database: Database, tree: dict[str, Any], path: str
) -> None:
    await api.admin()

    response = await refused(
        database,
        api.post("/api/v1/groups/create", {"name": "Bad", "permissions": tree}),
        422,
    )

    assert path in str(response.json()["detail"])


@pytest.mark.parametrize(("tree", "path"), BAD_TREES)
async def test_update_group_with_permissions_outside_the_catalog_is_422(
    api: Api, database: Database, tree: dict[str, Any], path: str
) -> None:
    group = await api.group("Good", permissions={"chat": {"delete": True}})

    response = await refused(
        database,
        api.post(f"/api/v1/groups/id/{group['id']}/update", {"permissions": tree}),
        422,
    )

    assert path in str(response.json()["detail"])


async def test_sparse_trees_are_stored_as_sent(api: Api) -> None:
    sparse = {"workspace": {"models": True}, "chat": {"delete": False}}
    group = await api.group("Sparse", permissions=sparse)
    assert group["permissions"] == sparse

    updated = await api.post(
        f"/api/v1/groups/id/{group['id']}/update", {"permissions": {"features": {"api_keys": True}}}
    )

    assert updated.status_code == 200, updated.text
    assert updated.json()["permissions"] == {"features": {"api_keys": True}}
    stored = (await api.get(f"/api/v1/groups/id/{group['id']}")).json()
    assert stored["permissions"] == {"features": {"api_keys": True}}


# --- defaults --------------------------------------------------------------------------------


async def test_defaults_start_from_the_catalog(api: Api) -> None:
    response = await api.get(DEFAULTS)

    assert response.status_code == 200, response.text
    assert response.json() == BUILTIN_CATALOG.default_tree()
    catalog_defaults = await api.get(f"{DEFAULTS}/defaults")
    assert catalog_defaults.status_code == 200
    assert catalog_defaults.json() == BUILTIN_CATALOG.default_tree()


async def test_partial_defaults_are_filled_from_the_catalog(api: Api) -> None:
    await api.post(DEFAULTS, {"chat": {"delete": False}})

    response = await api.post(DEFAULTS, {"features": {"api_keys": True}})

    assert response.status_code == 200, response.text
    expected = _full_tree(features__api_keys=True)
    assert response.json() == expected
    assert (await api.get(DEFAULTS)).json() == expected
    # The catalog's own defaults ("reset") do not move.
    assert (await api.get(f"{DEFAULTS}/defaults")).json() == BUILTIN_CATALOG.default_tree()


@pytest.mark.parametrize(("tree", "path"), BAD_TREES)
async def test_defaults_with_a_bad_key_are_422(
    api: Api, database: Database, tree: dict[str, Any], path: str
) -> None:
    await api.admin()

    response = await refused(database, api.post(DEFAULTS, tree), 422)

    assert path in str(response.json()["detail"])


async def test_defaults_routes_are_for_admins(api: Api, database: Database) -> None:
    user = await api.user()

    assert (await api.get(DEFAULTS, user)).status_code == 403
    assert (await api.get(f"{DEFAULTS}/defaults", user)).status_code == 403
    await refused(database, api.post(DEFAULTS, {"chat": {"delete": False}}, user), 403)


async def test_changing_defaults_changes_effective_permissions_at_once(api: Api) -> None:
    user = await api.user()
    assert await has(api, user, "chat.delete") is True
    assert await has(api, user, "features.api_keys") is False

    response = await api.post(DEFAULTS, {"chat": {"delete": False}, "features": {"api_keys": True}})
    assert response.status_code == 200, response.text

    assert await has(api, user, "chat.delete") is False
    assert await has(api, user, "features.api_keys") is True

    assert (await api.post(DEFAULTS, {})).status_code == 200
    assert await my_permissions(api, user) == BUILTIN_CATALOG.default_tree()


async def test_defaults_off_and_group_on_restricts_a_feature(api: Api) -> None:
    group = await api.group("Deleters", permissions={"chat": {"delete": True}})
    member = await api.user()
    other = await api.user()
    await api.add(group["id"], member.id)

    await api.post(DEFAULTS, {"chat": {"delete": False}})

    assert await has(api, member, "chat.delete") is True
    assert await has(api, other, "chat.delete") is False


# --- GET /auths/ -----------------------------------------------------------------------------


async def test_session_user_carries_the_same_effective_permissions(api: Api) -> None:
    group = await api.group("Modelers", permissions={"workspace": {"models": True}})
    user = await api.user()
    await api.add(group["id"], user.id)

    session = await api.get("/api/v1/auths/", user)

    assert session.status_code == 200, session.text
    assert session.json()["permissions"] == await my_permissions(api, user)
    assert session.json()["permissions"]["workspace"]["models"] is True


async def test_pending_user_session_has_no_permissions(api: Api) -> None:
    pending = await api.user(role="pending")

    session = await api.get("/api/v1/auths/", pending)

    assert session.status_code == 200, session.text
    assert session.json()["permissions"] is None
    assert (await api.get("/api/v1/users/permissions", pending)).status_code == 401


# --- batch check -----------------------------------------------------------------------------


def _checks(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"checks": [{"user_id": user_id, "key": key} for user_id, key in pairs]}


async def test_check_answers_in_the_order_asked(api: Api) -> None:
    group = await api.group("Modelers", permissions={"workspace": {"models": True}})
    member = await api.user()
    other = await api.user()
    await api.add(group["id"], member.id)
    pairs = [
        (other.id, "workspace.models"),
        (member.id, "workspace.models"),
        (member.id, "features.api_keys"),
        (other.id, "chat.delete"),
        (member.id, "workspace.models"),
    ]

    response = await api.post(CHECK, _checks(*pairs))

    assert response.status_code == 200, response.text
    assert response.json()["results"] == [
        {"user_id": uid, "key": key, "allowed": allowed}
        for (uid, key), allowed in zip(pairs, [False, True, False, True, True], strict=True)
    ]


async def test_check_of_an_admin_passes_every_key_by_default(api: Api) -> None:
    admin = await api.admin()
    keys = list(BUILTIN_CATALOG.defaults)

    response = await api.post(CHECK, _checks(*[(admin.id, key) for key in keys]))

    assert response.status_code == 200, response.text
    assert [r["allowed"] for r in response.json()["results"]] == [True] * len(keys)


async def test_without_bypass_an_admin_is_judged_by_the_tree(start_api: StartApi) -> None:
    api = (await start_api(admin_bypass=False)).api
    admin = await api.admin()
    group = await api.group("Admins", permissions={"features": {"api_keys": True}})
    await api.add(group["id"], admin.id)

    response = await api.post(
        CHECK,
        _checks(
            (admin.id, "workspace.models"),
            (admin.id, "chat.delete"),
            (admin.id, "features.api_keys"),
        ),
    )

    assert response.status_code == 200, response.text
    assert [r["allowed"] for r in response.json()["results"]] == [False, True, True]
    explained = (await api.get(f"/api/v1/users/{admin.id}/permissions/explain")).json()
    assert explained["admin_bypass"] is False


async def test_explain_reports_the_admin_bypass(api: Api) -> None:
    admin = await api.admin()

    explained = (await api.get(f"/api/v1/users/{admin.id}/permissions/explain")).json()

    assert explained["admin_bypass"] is True
    assert explained["role"] == "admin"


async def test_pending_user_passes_no_check(api: Api) -> None:
    pending = await api.user(role="pending")
    group = await api.group("Everything", permissions={"workspace": {"models": True}})
    await api.add(group["id"], pending.id)

    response = await api.post(
        CHECK, _checks((pending.id, "chat.delete"), (pending.id, "workspace.models"))
    )

    assert response.status_code == 200, response.text
    assert [r["allowed"] for r in response.json()["results"]] == [False, False]


async def test_check_with_an_unknown_key_is_422(api: Api) -> None:
    user = await api.user()

    response = await api.post(
        CHECK, _checks((user.id, "chat.delete"), (user.id, "chat.nope"), (user.id, "chat"))
    )

    assert response.status_code == 422, response.text
    assert "chat.nope" in str(response.json()["detail"])


async def test_check_with_an_unknown_user_is_422_naming_it(api: Api) -> None:
    user = await api.user()

    response = await api.post(
        CHECK, _checks((user.id, "chat.delete"), ("ghost-user-id", "chat.delete"))
    )

    assert response.status_code == 422, response.text
    assert "ghost-user-id" in str(response.json()["detail"])
    assert user.id not in str(response.json()["detail"])


async def test_check_is_for_admins(api: Api) -> None:
    user = await api.user()

    response = await api.post(CHECK, _checks((user.id, "chat.delete")), user)

    assert response.status_code == 403


async def test_empty_check_has_no_results(api: Api) -> None:
    response = await api.post(CHECK, {"checks": []})

    assert response.status_code == 200, response.text
    assert response.json() == {"results": []}


# --- the catalog route -----------------------------------------------------------------------


async def test_catalog_route_returns_version_and_defaults(api: Api) -> None:
    user = await api.user()
    pending = await api.user(role="pending")

    response = await api.get("/api/v1/permissions/catalog", user)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "version": BUILTIN_CATALOG.version,
        "permissions": BUILTIN_CATALOG.default_tree(),
        "descriptions": dict(BUILTIN_CATALOG.descriptions),
    }
    assert response.json()["descriptions"]["chat.delete"] == "Delete chats."
    assert (await api.get("/api/v1/permissions/catalog", pending)).status_code == 401
    assert (await api.client.get("/api/v1/permissions/catalog")).status_code == 401
