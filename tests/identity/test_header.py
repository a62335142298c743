"""Sign-in by a trusted proxy's headers, and forwarded headers only from trusted proxies."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import Api, AppFactory

PROXY = "10.0.0.2"


@pytest.fixture
async def through(app_factory: AppFactory, tmp_path: Path) -> AsyncIterator[Any]:
    """``through(address)``: an Api whose requests come from that address, to an app that
    trusts ``PROXY`` and signs in by headers."""
    providers = tmp_path / "providers.yaml"
    providers.write_text(
        yaml.safe_dump({"header": {"groups_header": "X-Forwarded-Groups", "groups": {}}})
    )
    app = await app_factory(identity_providers=providers, trusted_proxies=f"{PROXY},127.0.0.1")
    clients: list[httpx.AsyncClient] = []

    def make(address: str) -> Api:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        clients.append(httpx.AsyncClient(transport=transport, base_url="http://testserver"))
        return Api(clients[-1])

    yield make
    for client in clients:
        await client.aclose()


HEADERS = {
    "X-Forwarded-Email": "ivy@example.com",
    "X-Forwarded-User": "Ivy",
    "X-Forwarded-Groups": "Readers, Writers",
}


async def test_a_trusted_proxy_signs_a_person_in_with_their_groups(through: Any) -> None:
    direct = through("127.0.0.1")
    await direct.group("Readers")
    await direct.group("Writers")
    proxy = through(PROXY)
    response = await proxy.client.post("/api/v1/auths/header", headers=HEADERS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["email"], body["name"]) == ("ivy@example.com", "Ivy")
    members = await direct.get("/api/v1/groups/")
    names = {g["name"]: g["member_count"] for g in members.json()}
    assert names == {"Readers": 1, "Writers": 1}
    fewer = await proxy.client.post(
        "/api/v1/auths/header", headers={**HEADERS, "X-Forwarded-Groups": "Readers"}
    )
    assert fewer.json()["id"] == body["id"]
    names = {g["name"]: g["member_count"] for g in (await direct.get("/api/v1/groups/")).json()}
    assert names == {"Readers": 1, "Writers": 0}


async def test_headers_from_anyone_but_a_trusted_proxy_are_refused(through: Any) -> None:
    await through("127.0.0.1").admin()
    stranger = through("203.0.113.7")
    response = await stranger.client.post("/api/v1/auths/header", headers=HEADERS)
    assert response.status_code == 403
    # A forwarded address does not make a stranger a proxy.
    spoofed = await stranger.client.post(
        "/api/v1/auths/header", headers={**HEADERS, "X-Forwarded-For": PROXY}
    )
    assert spoofed.status_code == 403
    missing = await through(PROXY).client.post("/api/v1/auths/header")
    assert missing.status_code == 422


async def test_forwarded_addresses_are_believed_only_from_trusted_proxies(through: Any) -> None:
    admin = await through("127.0.0.1").admin()
    for address, forwarded, expected in (
        (PROXY, "198.51.100.4", "198.51.100.4"),
        ("203.0.113.7", "198.51.100.4", "203.0.113.7"),
    ):
        api = through(address)
        await api.client.post(
            "/api/v1/auths/signin",
            json={"email": "nobody@example.com", "password": "wrong"},
            headers={"X-Forwarded-For": forwarded},
        )
        events = await through("127.0.0.1").get(
            "/api/v1/audit/events", admin, action="auth.signin.failure"
        )
        assert events.json()["items"][0]["actor_address"] == expected


async def test_header_sign_in_is_off_unless_configured(api: Api) -> None:
    response = await api.client.post("/api/v1/auths/header", headers=HEADERS)
    assert response.status_code == 403
    assert "not configured" in response.json()["detail"]
