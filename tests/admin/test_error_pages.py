"""Errors under /admin are pages of the admin, with its navigation for a signed-in admin: an
unknown page (404), a wrong method (405), a bad value (422), a refusal (403), a bug (500)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Mount

from opengroups.admin import session as cookies
from tests.admin.markup import element, has_element, text_of
from tests.admin.test_access import SECRET
from tests.admin.test_pages import signed_in
from tests.conftest import Api

NAVIGATION = ('href="/admin/groups"', 'href="/admin/audit"', 'action="/admin/logout"')


def with_navigation(page: str) -> bool:
    return all(link in page for link in NAVIGATION)


@pytest.mark.parametrize(
    ("path", "status", "problem"),
    [
        ("/admin/nope", 404, "There is no page at /admin/nope."),
        ("/admin/groups/no-such-id", 404, "Group 'no-such-id' not found."),
        ("/admin/groups/no-such-id/members", 404, "Group 'no-such-id' not found."),
        ("/admin/groups?page=0", 422, "page: Input should be greater than or equal to 1"),
    ],
)
async def test_errors_are_pages_with_the_navigation(
    api: Api, path: str, status: int, problem: str
) -> None:
    await signed_in(api)

    response = await api.client.get(path)

    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert text_of(element(response.text, "problem")) == problem
    assert with_navigation(response.text)


async def test_a_wrong_method_is_a_page_too(api: Api) -> None:
    csrf = await signed_in(api)

    response = await api.client.post("/admin/audit", data={"csrf": csrf})

    assert response.status_code == 405
    assert response.headers["content-type"].startswith("text/html")
    assert "GET" in response.headers["allow"]
    assert with_navigation(response.text)


async def test_signed_out_visitors_get_the_page_without_navigation(api: Api) -> None:
    response = await api.client.get("/admin/nope")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert not with_navigation(response.text)
    assert 'href="/admin/login"' in response.text


async def test_a_non_admin_is_refused_without_the_navigation(api: Api) -> None:
    user = await api.user("user")
    api.client.cookies.set(cookies.COOKIE, cookies.issue_session(user.id, secret=SECRET))

    for path in ("/admin/groups", "/admin/nope"):
        response = await api.client.get(path)
        assert response.status_code in (403, 404), path
        assert not with_navigation(response.text), path


async def test_a_bug_is_a_page_with_the_navigation(api: Api, app: FastAPI) -> None:
    await signed_in(api)
    (admin,) = [
        route.app for route in app.routes if isinstance(route, Mount) and route.path == "/admin"
    ]

    async def broken() -> None:
        raise RuntimeError("a bug")

    assert isinstance(admin, FastAPI)
    admin.add_api_route("/broken-for-the-test", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", cookies=api.client.cookies
    ) as client:
        response = await client.get("/admin/broken-for-the-test")

    assert response.status_code == 500
    assert "the error is in its log" in text_of(element(response.text, "problem"))
    assert with_navigation(response.text)
    assert "a bug" not in response.text


async def test_the_api_keeps_answering_json(api: Api) -> None:
    response = await api.client.get("/api/v1/no-such-route")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    assert not has_element(response.text, "problem")
