"""A second real ``opengroups serve`` stands in as the Open WebUI target (it serves the same
API), on its own SQLite file; the source is the suite's database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from opengroups.bootstrap import Runtime
from opengroups.connector import service
from opengroups.connector.schemas import TargetForm
from opengroups.connector.service import Prepared
from tests.conftest import transaction
from tests.servers import clean_environment, running_server


@dataclass
class Target:
    """The target server, its admin's API key, and helpers over its API."""

    base_url: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as http:
            response = await http.request(method, path, json=body, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def user(self, email: str) -> str:
        body = await self.call(
            "POST",
            "/api/v1/auths/add",
            {"name": email.split("@")[0], "email": email, "password": "pw", "role": "user"},
        )
        return str(body["id"])

    async def groups(self) -> dict[str, dict[str, Any]]:
        """Every group by name, with its members' ids (``user_ids``)."""
        found = {}
        for group in await self.call("GET", "/api/v1/groups/"):
            exported = await self.call("GET", f"/api/v1/groups/id/{group['id']}/export")
            found[group["name"]] = exported
        return found


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Target]:
    workdir = tmp_path / "target"
    workdir.mkdir()
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(workdir / "data"),
        OPENGROUPS_DATABASE_URL=f"sqlite+aiosqlite:///{workdir / 'target.db'}",
    )
    with (
        running_server(env, workdir, workdir / "serve.log") as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        signup = http.post(
            "/api/v1/auths/signup",
            json={"name": "Target admin", "email": "owui-admin@example.com", "password": "pw"},
        )
        assert signup.status_code == 200, signup.text
        token = {"Authorization": f"Bearer {signup.json()['token']}"}
        key = http.post("/api/v1/auths/api_key", headers=token)
        assert key.status_code == 200, key.text
        yield Target(base_url, key.json()["api_key"])


async def register(runtime: Runtime, url: str, api_key: str, **scope: Any) -> str:
    """Register the target as ``chat``; its name."""
    async with transaction(runtime) as session:
        await service.create_target(
            session,
            form=TargetForm(name="chat", base_url=url, api_key=api_key, **scope),
            settings=runtime.settings,
        )
    return "chat"


async def prepared(runtime: Runtime, name: str = "chat") -> Prepared:
    async with runtime.database.session(write=False) as session:
        return await service.prepare(session, runtime.authz, settings=runtime.settings, name=name)
