"""Sign-in throttling: past the failures allowed per account (or per address) in the window, a
sign-in is 429 with ``Retry-After`` and its password is not checked; a success forgets the
account's failures; every outcome is audited, the lockout once."""

from __future__ import annotations

import asyncio

import httpx

from tests.admin.test_access import sign_in
from tests.conftest import Api, StartApi

SIGNIN = "/api/v1/auths/signin"


async def _try(api: Api, email: str, password: str) -> httpx.Response:
    return await api.client.post(SIGNIN, json={"email": email, "password": password})


async def _actions(api: Api) -> list[str]:
    events = (await api.get("/api/v1/audit/events", limit=100)).json()["items"]
    return [event["action"] for event in reversed(events) if event["action"].startswith("auth.")]


async def test_an_account_is_refused_after_its_failures(start_api: StartApi) -> None:
    api = (await start_api(signin_max_failures_per_account=3)).api
    admin = await api.admin()
    statuses = [(await _try(api, admin.email, "wrong")).status_code for _ in range(3)]

    refused = await _try(api, admin.email, "admin-pw")  # even the right password now

    assert statuses == [400, 400, 400]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert "account" in refused.json()["detail"]
    assert await _actions(api) == [
        "auth.signin.failure",
        "auth.signin.failure",
        "auth.signin.failure",
        "auth.signin.locked",
    ]


async def test_a_success_forgets_the_accounts_failures(start_api: StartApi) -> None:
    api = (await start_api(signin_max_failures_per_account=3)).api
    admin = await api.admin()
    for _ in range(2):
        assert (await _try(api, admin.email, "wrong")).status_code == 400
    assert (await _try(api, admin.email, "admin-pw")).status_code == 200
    for _ in range(2):
        assert (await _try(api, admin.email, "wrong")).status_code == 400

    assert (await _try(api, admin.email, "admin-pw")).status_code == 200
    assert "auth.signin" in await _actions(api)


async def test_an_address_is_refused_after_its_failures_whatever_the_account(
    start_api: StartApi,
) -> None:
    api = (await start_api(signin_max_failures_per_address=4)).api
    await api.admin()
    for number in range(4):
        assert (await _try(api, f"guess{number}@example.com", "x")).status_code == 400

    refused = await _try(api, "another@example.com", "x")

    assert refused.status_code == 429
    assert "address" in refused.json()["detail"]


async def test_failures_leave_the_window(start_api: StartApi) -> None:
    api = (await start_api(signin_max_failures_per_account=1, signin_window_seconds=1)).api
    admin = await api.admin()
    assert (await _try(api, admin.email, "wrong")).status_code == 400
    assert (await _try(api, admin.email, "admin-pw")).status_code == 429

    await asyncio.sleep(1.1)  # the window is one second: the failure has left it
    assert (await _try(api, admin.email, "admin-pw")).status_code == 200


async def test_the_admin_sign_in_is_throttled_too(start_api: StartApi) -> None:
    api = (await start_api(signin_max_failures_per_account=2)).api
    await api.admin()
    for _ in range(2):
        assert (await sign_in(api, "admin@example.com", "wrong")).status_code == 401

    refused = await sign_in(api, "admin@example.com", "admin-pw")

    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert "Too many failed sign-ins" in refused.text
