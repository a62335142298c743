"""Authentication is served from per-process caches, and they are never stale: a change made
through one app instance (another process, in production) is seen by the other on its very next
request. Each test warms app A's cache first, changes the user through app B, then asks A."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from tests.auths.conftest import AUTHS
from tests.conftest import Account, Api, AppFactory


@pytest.fixture
async def two_apps(app_factory: AppFactory) -> AsyncIterator[tuple[Api, Api]]:
    first, second = await app_factory(), await app_factory()

    def client(app: FastAPI) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    async with client(first) as a, client(second) as b:
        api_a, api_b = Api(a), Api(b)
        api_b._admin = await api_a.admin()  # one primary admin, known to both
        yield api_a, api_b


async def me(api: Api, account: Account) -> httpx.Response:
    return await api.get(f"{AUTHS}/", account)


async def test_role_and_profile_changes_are_seen_at_once(two_apps: tuple[Api, Api]) -> None:
    a, b = two_apps
    user = await a.user("user")
    assert (await me(a, user)).json()["role"] == "user"
    assert (await a.get("/api/v1/users/", user)).status_code == 403  # cached as a user

    renamed = await b.post(
        f"/api/v1/users/{user.id}/update", {"name": "Renamed", "email": "renamed@example.com"}
    )
    assert renamed.status_code == 200, renamed.text
    body = (await me(a, user)).json()
    assert (body["name"], body["email"]) == ("Renamed", "renamed@example.com")

    promoted = await b.post(f"/api/v1/users/{user.id}/update", {"role": "admin"})
    assert promoted.status_code == 200, promoted.text
    assert (await me(a, user)).status_code == 401  # a new role ends the sessions from before
    signin = await a.client.post(
        f"{AUTHS}/signin", json={"email": "renamed@example.com", "password": "user-pw"}
    )
    as_admin = Account(user.id, "renamed@example.com", signin.json()["token"])
    assert (await me(a, as_admin)).json()["role"] == "admin"
    assert (await a.get("/api/v1/users/", as_admin)).status_code == 200

    demoted = await b.post(f"/api/v1/users/{user.id}/update", {"role": "pending"})
    assert demoted.status_code == 200, demoted.text
    assert (await a.get("/api/v1/users/", as_admin)).status_code == 401


async def test_deleted_user_is_refused_at_once(two_apps: tuple[Api, Api]) -> None:
    a, b = two_apps
    user = await a.user("user")
    assert (await me(a, user)).status_code == 200

    assert (await b.delete(f"/api/v1/users/{user.id}")).status_code == 200

    assert (await me(a, user)).status_code == 401


async def test_replaced_and_deleted_api_keys_are_refused_at_once(
    two_apps: tuple[Api, Api],
) -> None:
    a, b = two_apps
    admin = await a.admin()
    first_key = (await a.post(f"{AUTHS}/api_key", account=admin)).json()["api_key"]
    by_first_key = Account(admin.id, admin.email, first_key)
    assert (await me(a, by_first_key)).status_code == 200  # cached in A

    second_key = (await b.post(f"{AUTHS}/api_key", account=admin)).json()["api_key"]
    by_second_key = Account(admin.id, admin.email, second_key)
    assert (await me(a, by_first_key)).status_code == 401
    assert (await me(a, by_second_key)).status_code == 200

    assert (await b.delete(f"{AUTHS}/api_key", account=admin)).status_code == 200
    assert (await me(a, by_second_key)).status_code == 401


async def test_a_new_key_for_the_caller_is_stored_on_the_callers_row(api: Api) -> None:
    # The caller is a detached copy from the cache: changing the caller's own row must still
    # be written (the service loads the row for update).
    admin = await api.admin()
    assert (await me(api, admin)).status_code == 200  # the admin is now cached
    key = (await api.post(f"{AUTHS}/api_key", account=admin)).json()["api_key"]
    assert (await me(api, Account(admin.id, admin.email, key))).json()["id"] == admin.id


async def test_batch_checks_see_a_role_change_at_once(two_apps: tuple[Api, Api]) -> None:
    a, b = two_apps
    user = await a.user("user")
    check = {"checks": [{"user_id": user.id, "key": "workspace.models"}]}

    async def allowed() -> bool:
        response = await a.post("/api/v1/permissions/check", check)
        assert response.status_code == 200, response.text
        result: bool = response.json()["results"][0]["allowed"]
        return result

    assert await allowed() is False  # the user is now cached in A, as a user
    changed = await b.post(f"/api/v1/users/{user.id}/update", {"role": "admin"})
    assert changed.status_code == 200, changed.text
    assert await allowed() is True  # an admin, with the bypass
