"""Who may call which group route: 401 without a valid verified account, 403 for non-admins on
admin routes, 404 for an unknown group on every route."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from opengroups.kit.db import Database
from tests.conftest import Api, refused
from tests.groups.conftest import GROUPS, group_path

UNKNOWN_GROUP = "00000000-0000-4000-8000-00000000dead"

# (method, path after /groups/id/{id}, JSON body)
GROUP_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "", None),
    ("GET", "/info", None),
    ("GET", "/export", None),
    ("POST", "/users", None),
    ("GET", "/members", None),
    ("POST", "/update", {"description": "changed"}),
    ("POST", "/users/add", {"user_ids": []}),
    ("POST", "/users/remove", {"user_ids": []}),
    ("DELETE", "/delete", None),
]

ADMIN_ROUTES = [route for route in GROUP_ROUTES if route[1] != "/info"]


def _send(
    client: httpx.AsyncClient, method: str, path: str, body: Any, headers: dict[str, str]
) -> Any:
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "suffix", "body"), GROUP_ROUTES, ids=lambda v: str(v))
async def test_unknown_group_is_404_on_every_route(
    api: Api, database: Database, method: str, suffix: str, body: Any
) -> None:
    admin = await api.admin()
    await api.group("Some other group")

    response = await refused(
        database,
        _send(api.client, method, group_path(UNKNOWN_GROUP, suffix), body, admin.headers),
        404,
    )

    assert UNKNOWN_GROUP in response.json()["detail"]


async def test_unknown_users_in_an_unknown_group_is_404(api: Api, database: Database) -> None:
    await api.admin()

    await refused(
        database,
        api.post(group_path(UNKNOWN_GROUP, "/users/add"), {"user_ids": ["ghost"]}),
        404,
    )


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-header"),
        pytest.param({"Authorization": "Bearer not-a-token"}, id="garbage-token"),
        pytest.param({"Authorization": "Bearer sk-not-a-key"}, id="unknown-api-key"),
        pytest.param({"Authorization": "Basic YWRtaW46YWRtaW4="}, id="basic-scheme"),
        pytest.param(
            {
                "Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
                "eyJpZCI6InNvbWVvbmUifQ.c2lnbmF0dXJl"
            },
            id="forged-jwt",
        ),
    ],
)
async def test_missing_or_bad_credentials_are_401(
    api: Api, database: Database, headers: dict[str, str]
) -> None:
    await api.admin()
    group = await api.group("Guarded")

    for method, path, body in [
        ("GET", f"{GROUPS}/", None),
        ("POST", f"{GROUPS}/create", {"name": "Sneaky"}),
        ("GET", group_path(group["id"], "/info"), None),
        ("DELETE", group_path(group["id"], "/delete"), None),
    ]:
        response = await refused(database, _send(api.client, method, path, body, headers), 401)
        assert isinstance(response.json()["detail"], str)


async def test_token_of_a_deleted_user_is_401(api: Api) -> None:
    user = await api.user()
    assert (await api.delete(f"/api/v1/users/{user.id}")).status_code == 200

    response = await api.get(f"{GROUPS}/", user)

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "suffix"), [("GET", None), ("GET", "/info")], ids=["list", "info"]
)
async def test_pending_user_is_401(
    api: Api, database: Database, method: str, suffix: str | None
) -> None:
    group = await api.group("Open", data={"config": {"share": True}})
    pending = await api.user("pending")
    await api.add(group["id"], pending.id)
    path = f"{GROUPS}/" if suffix is None else group_path(group["id"], suffix)

    response = await refused(database, _send(api.client, method, path, None, pending.headers), 401)

    assert "pending" in response.json()["detail"]


async def test_pending_user_cannot_create(api: Api, database: Database) -> None:
    pending = await api.user("pending")

    await refused(database, api.post(f"{GROUPS}/create", {"name": "Nope"}, pending), 401)


async def test_non_admin_cannot_create(api: Api, database: Database) -> None:
    user = await api.user()

    response = await refused(database, api.post(f"{GROUPS}/create", {"name": "Nope"}, user), 403)

    assert "administrator" in response.json()["detail"]


@pytest.mark.parametrize(("method", "suffix", "body"), ADMIN_ROUTES, ids=lambda v: str(v))
async def test_non_admin_is_403_on_admin_routes(
    api: Api, database: Database, method: str, suffix: str, body: Any
) -> None:
    group = await api.group("Admins only", data={"config": {"share": True}})
    user = await api.user()
    await api.add(group["id"], user.id)
    if body is not None and "user_ids" in body:
        body = {"user_ids": [user.id]}

    await refused(
        database,
        _send(api.client, method, group_path(group["id"], suffix), body, user.headers),
        403,
    )


async def test_non_admin_gets_403_before_404(api: Api, database: Database) -> None:
    user = await api.user()

    await refused(database, api.get(group_path(UNKNOWN_GROUP), user), 403)
