"""A real OpenID provider (oidc-provider-mock, an authlib-based OpenID Connect server) in a
process of its own on a loopback port, and the browser's part of a sign-in."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.conftest import Api, StartApi


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oidc_provider_mock",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the OpenID provider did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def provider_config(issuer: str, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "mock",
        "issuer": issuer,
        "client_id": "opengroups",
        "client_secret": "opengroups-secret",
        "scopes": ["openid", "email", "profile"],
        "groups_claim": "groups",
        "groups": {"blocked": ["blocked*"]},
        **overrides,
    }


@pytest.fixture
def write_providers(tmp_path: Path) -> Any:
    def write(*providers: dict[str, Any]) -> Path:
        path = tmp_path / "providers.yaml"
        path.write_text(yaml.safe_dump({"oidc": list(providers)}))
        return path

    return write


@dataclass
class Browser:
    """The browser's part: start at opengroups, sign in at the provider as ``sub`` (whose
    claims the provider is told first), come back with the code."""

    api: Api
    issuer: str

    def claims(self, sub: str, **claims: Any) -> None:
        response = httpx.put(f"{self.issuer}/users/{sub}", json=claims)
        assert response.status_code == 204, response.text

    async def sign_in(
        self, sub: str, *, provider: str = "mock", next_path: str = "", **claims: Any
    ) -> httpx.Response:
        self.claims(sub, **claims)
        started = await self.api.client.get(
            f"/api/v1/auths/oidc/{provider}/login", params={"next": next_path}
        )
        assert started.status_code == 302, started.text
        location = started.headers["location"]
        assert location.startswith(self.issuer)
        async with httpx.AsyncClient() as provider_side:
            authorized = await provider_side.post(location, data={"sub": sub})
        assert authorized.status_code == 302, authorized.text
        back = authorized.headers["location"]
        assert back.startswith(f"http://testserver/api/v1/auths/oidc/{provider}/callback")
        return await self.api.client.get(back)


@pytest.fixture
async def browser(start_api: StartApi, issuer: str, write_providers: Any) -> Browser:
    path = write_providers(
        provider_config(issuer),
        provider_config(issuer, name="strict", groups={"authoritative": True}),
    )
    started = await start_api(identity_providers=path)
    await started.api.admin()  # the primary admin exists before anyone signs in
    return Browser(started.api, issuer)
