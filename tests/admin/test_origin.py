"""Forms posted to the admin page from another site are refused before anything reads them,
the sign-in form included (which has no session, hence no CSRF token, to protect it)."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from opengroups.admin import session as cookies
from opengroups.admin.web import cross_site
from opengroups.kit.db import Database
from tests.admin.test_pages import signed_in
from tests.conftest import Api, refused

CREDENTIALS = {"email": "admin@example.com", "password": "admin-pw"}


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "null"},
        {"referer": "https://evil.example/page"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site", "origin": "http://testserver"},
        {"origin": "http://testserver:8080"},
    ],
)
async def test_cross_origin_admin_sign_in_is_refused(
    api: Api, database: Database, headers: dict[str, str]
) -> None:
    await api.admin()
    response = await refused(
        database, api.client.post("/admin/login", data=CREDENTIALS, headers=headers), 403
    )
    assert cookies.COOKIE not in response.cookies
    assert "another site" in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {},  # not a browser: no header to judge by
        {"origin": "http://testserver"},
        {"origin": "https://testserver"},  # behind a TLS-terminating proxy
        {"referer": "http://testserver/admin/login"},
        {"sec-fetch-site": "same-origin", "origin": "http://testserver"},
    ],
)
async def test_same_origin_sign_in_is_accepted(api: Api, headers: dict[str, str]) -> None:
    await api.admin()
    response = await api.client.post("/admin/login", data=CREDENTIALS, headers=headers)
    assert response.status_code == 303
    assert cookies.COOKIE in response.cookies


async def test_a_signed_in_admins_cross_origin_post_is_refused_even_with_a_token(
    api: Api, database: Database
) -> None:
    csrf = await signed_in(api)
    await refused(
        database,
        api.client.post(
            "/admin/groups/create",
            data={"name": "Planted", "csrf": csrf},
            headers={"origin": "https://evil.example"},
        ),
        403,
    )
    created = await api.client.post(
        "/admin/groups/create",
        data={"name": "Wanted", "csrf": csrf},
        headers={"origin": "http://testserver"},
    )
    assert created.status_code == 303


def test_ports_default_from_the_origins_scheme() -> None:
    def foreign(**headers: str) -> bool:
        return cross_site(Headers(headers))

    assert not foreign(host="admin.example", origin="https://admin.example")
    assert not foreign(host="admin.example:443", origin="https://admin.example")
    assert foreign(host="admin.example:8443", origin="https://admin.example")
    assert foreign(host="admin.example", origin="https://admin.example.evil")
    assert not foreign(host="ADMIN.example", origin="https://admin.EXAMPLE")
    assert foreign(host="admin.example", origin="file://")
