"""Only admins get into the admin page: everyone else is sent to sign in or refused."""

from __future__ import annotations

import re

import httpx
import pytest

from opengroups.admin import session as cookies
from opengroups.kit.db import Database
from tests.conftest import Api, refused

SECRET = "test-secret-key-that-is-long-enough-for-hs256"  # as tests/conftest.py's settings
PAGES = ["/admin/groups", "/admin/users", "/admin/defaults", "/admin/audit"]


async def sign_in(api: Api, email: str, password: str) -> httpx.Response:
    return await api.client.post("/admin/login", data={"email": email, "password": password})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@pytest.mark.parametrize("path", [*PAGES, "/admin/groups/any-id", "/admin/groups/any-id/members"])
async def test_signed_out_visitors_are_sent_to_sign_in(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login?next=")


async def test_signed_out_posts_are_refused_and_write_nothing(api: Api, database: Database) -> None:
    await api.admin()
    response = await refused(
        database, api.client.post("/admin/groups/create", data={"name": "Sneaky"}), 303
    )
    assert response.headers["location"].startswith("/admin/login")


async def test_non_admins_cannot_sign_in(api: Api) -> None:
    await api.user("user")  # user1@example.com / user-pw
    response = await sign_in(api, "user1@example.com", "user-pw")
    assert response.status_code == 403
    assert cookies.COOKIE not in response.cookies


async def test_wrong_password_and_api_keys_of_non_admins_are_refused(api: Api) -> None:
    await api.admin()
    assert (await sign_in(api, "admin@example.com", "nope")).status_code == 401
    assert (await api.client.post("/admin/login", data={"api_key": "sk-bogus"})).status_code == 401


async def test_a_session_of_a_demoted_admin_is_refused(api: Api, database: Database) -> None:
    user = await api.user("user")
    api.client.cookies.set(cookies.COOKIE, cookies.issue_session(user.id, secret=SECRET))
    for path in PAGES:
        assert (await api.client.get(path)).status_code == 403
    await refused(
        database, api.client.post("/admin/groups/create", data={"name": "Nope", "csrf": "x"}), 403
    )


async def test_forms_need_the_csrf_token(api: Api, database: Database) -> None:
    await api.admin()
    assert (await sign_in(api, "admin@example.com", "admin-pw")).status_code == 303
    page = await api.client.get("/admin/groups")
    assert page.status_code == 200
    await refused(database, api.client.post("/admin/groups/create", data={"name": "G"}), 403)
    await refused(
        database, api.client.post("/admin/groups/create", data={"name": "G", "csrf": "forged"}), 403
    )
    ok = await api.client.post(
        "/admin/groups/create", data={"name": "G", "csrf": csrf_of(page.text)}
    )
    assert ok.status_code == 303


async def test_the_session_cookie_is_http_only_and_same_site(api: Api) -> None:
    await api.admin()
    response = await sign_in(api, "admin@example.com", "admin-pw")
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "path=/admin" in header


async def test_the_admin_cookie_is_not_an_api_token(api: Api) -> None:
    admin = await api.admin()
    token = cookies.issue_session(admin.id, secret=SECRET)
    response = await api.client.get("/api/v1/auths/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_api_key_sign_in_works_for_admins(api: Api) -> None:
    await api.admin()
    key = (await api.post("/api/v1/auths/api_key")).json()["api_key"]
    response = await api.client.post("/admin/login", data={"api_key": key, "next": "/admin/audit"})
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/audit"


async def test_next_never_leaves_the_admin_page(api: Api) -> None:
    await api.admin()
    response = await api.client.post(
        "/admin/login",
        data={"email": "admin@example.com", "password": "admin-pw", "next": "https://evil.example"},
    )
    assert response.headers["location"] == "/admin/groups"
