"""Sessions can be ended: sign-out, a new password and a new role end every token and admin
cookie issued before, in every process; API keys are separate credentials and stay."""

from __future__ import annotations

import jwt

from opengroups.admin import session as cookies
from tests.admin.test_access import sign_in
from tests.auths.test_auth_cache import two_apps  # noqa: F401  (the fixture)
from tests.conftest import Account, Api

ME = "/api/v1/auths/"
SECRET = "test-secret-key-that-is-long-enough-for-hs256"


async def _sign_in(api: Api, email: str, password: str) -> Account:
    response = await api.client.post(
        "/api/v1/auths/signin", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return Account(body["id"], body["email"], body["token"])


async def test_a_password_change_ends_the_old_token(api: Api) -> None:
    user = await api.user()
    assert (await api.get(ME, user)).status_code == 200  # cached

    changed = await api.post(f"/api/v1/users/{user.id}/update", {"password": "a-new-one"})
    assert changed.status_code == 200, changed.text

    assert (await api.get(ME, user)).status_code == 401
    fresh = await _sign_in(api, user.email, "a-new-one")
    assert (await api.get(ME, fresh)).status_code == 200


async def test_sign_out_ends_every_token_of_the_user_but_not_their_api_key(api: Api) -> None:
    admin = await api.admin()
    other_device = await _sign_in(api, admin.email, "admin-pw")
    key = (await api.post("/api/v1/auths/api_key", account=admin)).json()["api_key"]
    keyed = Account(admin.id, admin.email, key)
    for account in (admin, other_device, keyed):
        assert (await api.get(ME, account)).status_code == 200

    signed_out = await api.post("/api/v1/auths/signout", account=admin)
    assert signed_out.status_code == 200, signed_out.text
    assert signed_out.json() == {"status": True}

    assert (await api.get(ME, admin)).status_code == 401
    assert (await api.get(ME, other_device)).status_code == 401
    assert (await api.get(ME, keyed)).status_code == 200
    assert (await api.get(ME, await _sign_in(api, admin.email, "admin-pw"))).status_code == 200


async def test_a_role_change_ends_the_old_token(api: Api) -> None:
    user = await api.user()
    assert (await api.get(ME, user)).status_code == 200
    response = await api.post(f"/api/v1/users/{user.id}/update", {"role": "admin"})
    assert response.status_code == 200, response.text
    assert (await api.get(ME, user)).status_code == 401


async def test_a_rename_keeps_the_token(api: Api) -> None:
    user = await api.user()
    response = await api.post(f"/api/v1/users/{user.id}/update", {"name": "Renamed"})
    assert response.status_code == 200, response.text
    assert (await api.get(ME, user)).json()["name"] == "Renamed"


async def test_a_token_from_before_versions_counts_as_version_zero(api: Api) -> None:
    user = await api.user()
    claims = jwt.decode(user.token, SECRET, algorithms=["HS256"])
    legacy = jwt.encode({"id": user.id, "exp": claims["exp"]}, SECRET, "HS256")
    as_before = Account(user.id, user.email, legacy)
    assert (await api.get(ME, as_before)).status_code == 200

    await api.post("/api/v1/auths/signout", account=user)
    assert (await api.get(ME, as_before)).status_code == 401


async def test_a_sign_out_in_one_process_ends_the_token_in_the_other(
    two_apps: tuple[Api, Api],  # noqa: F811
) -> None:
    a, b = two_apps
    user = await a.user()
    assert (await b.get(ME, user)).status_code == 200  # cached in B

    assert (await a.post("/api/v1/auths/signout", account=user)).status_code == 200

    assert (await b.get(ME, user)).status_code == 401


async def test_admin_sign_out_ends_the_cookie(api: Api) -> None:
    await api.admin()
    assert (await sign_in(api, "admin@example.com", "admin-pw")).status_code == 303
    cookie = api.client.cookies.get(cookies.COOKIE)
    page = await api.client.get("/admin/groups")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]

    response = await api.client.post("/admin/logout", data={"csrf": csrf})
    assert response.status_code == 303

    assert cookie is not None
    api.client.cookies.set(cookies.COOKIE, cookie, path="/admin")  # replay the old cookie
    replayed = await api.client.get("/admin/groups")
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/admin/login")


async def test_an_admin_ends_a_users_sessions(api: Api) -> None:
    user = await api.user()
    assert (await api.get(ME, user)).status_code == 200
    revoked = await api.post(f"/api/v1/users/{user.id}/sessions/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json() is True
    assert (await api.get(ME, user)).status_code == 401
    again = await _sign_in(api, user.email, "user-pw")  # signing in again works
    assert (await api.get(ME, again)).status_code == 200
    other_admin = await api.user("admin")
    primary = await api.admin()
    refused = await api.post(f"/api/v1/users/{primary.id}/sessions/revoke", None, other_admin)
    assert refused.status_code == 403
    assert (await api.get(ME, primary)).status_code == 200
    assert (
        await api.post(f"/api/v1/users/{user.id}/sessions/revoke", None, again)
    ).status_code == 403
    assert (await api.post("/api/v1/users/nobody/sessions/revoke")).status_code == 404
    events = await api.get("/api/v1/audit/events", action="user.signout", resource_id=user.id)
    assert events.json()["items"][0]["actor_id"] == primary.id
