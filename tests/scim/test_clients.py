"""Provisioning clients through the API, the admin page and the CLI."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.admin.test_pages import signed_in
from tests.commands import run_cli
from tests.conftest import Api
from tests.scim.conftest import Scim, scim_error


async def test_api_creates_lists_and_revokes(api: Api) -> None:
    created = await api.post("/api/v1/scim/clients", {"name": "Okta"})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["token"].startswith("scim_")
    listed = await api.get("/api/v1/scim/clients")
    (item,) = listed.json()
    assert item["name"] == "Okta"
    assert "token" not in item
    assert "token_hash" not in item
    scim = Scim(api.client, body["token"], body["id"])
    assert (await scim.get("/Users")).status_code == 200
    assert (await api.get("/api/v1/scim/clients")).json()[0]["last_used_at"] is not None
    await api.delete(f"/api/v1/scim/clients/{body['id']}")
    scim_error(await scim.get("/Users"), 401)
    assert (await api.delete("/api/v1/scim/clients/nope")).status_code == 404


async def test_only_admins_manage_clients(api: Api) -> None:
    user = await api.user()
    assert (await api.get("/api/v1/scim/clients", user)).status_code == 403
    assert (await api.post("/api/v1/scim/clients", {"name": "x"}, user)).status_code == 403
    blank = await api.post("/api/v1/scim/clients", {"name": "  "})
    assert blank.status_code == 422


async def test_admin_page_shows_the_token_once_and_revokes(api: Api) -> None:
    csrf = await signed_in(api)
    created = await api.client.post("/admin/scim", data={"csrf": csrf, "name": "Entra ID"})
    assert created.status_code == 200
    token = re.search(r'<code id="token">(scim_[^<]+)</code>', created.text)
    assert token is not None
    again = await api.client.get("/admin/scim")
    assert token.group(1) not in again.text
    assert "Entra ID" in again.text
    (client,) = (await api.get("/api/v1/scim/clients")).json()
    revoked = await api.client.post(
        f"/admin/scim/{client['id']}/revoke", data={"csrf": csrf}, follow_redirects=True
    )
    assert "Client revoked." in revoked.text
    scim = Scim(api.client, token.group(1), client["id"])
    scim_error(await scim.get("/Users"), 401)
    no_csrf = await api.client.post("/admin/scim", data={"name": "Sneaky"})
    assert no_csrf.status_code == 403


def test_cli_creates_lists_and_revokes(tmp_path: Path, migrated: str) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("scim-clients", *args, database_url=migrated, data_dir=tmp_path)

    created = cli("create", "authentik")
    assert created.returncode == 0, created.stderr
    client_id = re.search(r"id: (\S+)", created.stdout)
    assert client_id is not None
    assert re.search(r"token: scim_\S+", created.stdout)
    listed = cli("list")
    assert "authentik" in listed.stdout
    revoked = cli("revoke", client_id.group(1))
    assert revoked.returncode == 0, revoked.stderr
    unknown = cli("revoke", "nope")
    assert unknown.returncode == 2
    assert "not found" in unknown.stderr
    blank = cli("create", " ")
    assert blank.returncode == 2
