"""Every answer tells the browser what it may do with it."""

from __future__ import annotations

import pytest

from tests.conftest import Api


@pytest.mark.parametrize(
    "path",
    ["/health", "/api/v1/groups/", "/api/v1/no-such-route", "/admin/login", "/docs"],
)
async def test_every_answer_carries_the_browser_headers(api: Api, path: str) -> None:
    response = await api.client.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "strict-transport-security" not in response.headers  # plain HTTP


async def test_the_api_may_load_nothing_and_the_admin_page_runs_no_script(api: Api) -> None:
    json_policy = (await api.client.get("/health")).headers["content-security-policy"]
    assert json_policy.startswith("default-src 'none'")
    admin = (await api.client.get("/admin/login")).headers
    assert "script-src 'none'" in admin["content-security-policy"]
    assert "form-action 'self'" in admin["content-security-policy"]
    assert admin["cache-control"] == "no-store"


async def test_middleware_refusals_carry_them_too(api: Api) -> None:
    response = await api.client.get("/api/v1/groups/search?query=%00")
    assert response.status_code == 422
    assert response.headers["x-frame-options"] == "DENY"


async def test_https_answers_carry_strict_transport_security(api: Api) -> None:
    response = await api.client.get("https://testserver/health")
    assert response.headers["strict-transport-security"].startswith("max-age=")
