"""A deployment's own catalog (``OPENGROUPS_PERMISSION_CATALOG``): its keys are the only ones
groups, defaults and checks accept, and a malformed file stops start-up with a clear message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from opengroups.app import create_app
from opengroups.permissions import CatalogError, load_catalog
from tests.authz.conftest import CHECK, DEFAULTS, my_permissions
from tests.conftest import StartApi, make_settings
from tests.servers import free_port

APP_TREE = {"reports": {"view": True, "export": False}, "billing": {"manage": False}}
APP_YAML = """\
# An application's own features.
reports:
  view: true
  export: false
billing:
  manage: false
"""


@pytest.fixture(params=["json", "yaml"])
def catalog_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / f"app-catalog.{request.param}"
    path.write_text(json.dumps(APP_TREE) if request.param == "json" else APP_YAML)
    return path


async def test_custom_catalog_end_to_end(start_api: StartApi, catalog_file: Path) -> None:
    api = (await start_api(permission_catalog=catalog_file)).api
    group = await api.group("Finance", permissions={"billing": {"manage": True}})
    member = await api.user()
    other = await api.user()
    await api.add(group["id"], member.id)

    assert await my_permissions(api, member) == {
        "reports": {"view": True, "export": False},
        "billing": {"manage": True},
    }
    assert await my_permissions(api, other) == APP_TREE

    catalog = (await api.get("/api/v1/permissions/catalog", member)).json()
    assert catalog == {
        "version": load_catalog(catalog_file).version,
        "permissions": APP_TREE,
        "descriptions": {},  # the file describes no key
    }
    assert (await api.get(DEFAULTS)).json() == APP_TREE
    assert (await api.get(f"{DEFAULTS}/defaults")).json() == APP_TREE

    explained = (await api.get(f"/api/v1/users/{member.id}/permissions/explain")).json()
    finance = {"id": group["id"], "name": "Finance"}
    assert explained["explanation"] == {
        "reports.view": {"value": True, "sources": ["default"], "source_groups": []},
        "reports.export": {"value": False, "sources": [], "source_groups": []},
        "billing.manage": {
            "value": True,
            "sources": [group["id"]],
            "source_groups": [{**finance, "path": [finance]}],
        },
    }

    checks = {
        "checks": [
            {"user_id": member.id, "key": "billing.manage"},
            {"user_id": other.id, "key": "billing.manage"},
            {"user_id": other.id, "key": "reports.view"},
        ]
    }
    results = (await api.post(CHECK, checks)).json()["results"]
    assert [r["allowed"] for r in results] == [True, False, True]


async def test_open_webui_keys_are_unknown_under_a_custom_catalog(
    start_api: StartApi, catalog_file: Path
) -> None:
    api = (await start_api(permission_catalog=catalog_file)).api
    user = await api.user()

    created = await api.post(
        "/api/v1/groups/create", {"name": "Chatters", "permissions": {"chat": {"delete": True}}}
    )
    assert created.status_code == 422, created.text
    assert "permissions.chat" in str(created.json()["detail"])

    defaults = await api.post(DEFAULTS, {"workspace": {"models": True}})
    assert defaults.status_code == 422, defaults.text

    check = await api.post(CHECK, {"checks": [{"user_id": user.id, "key": "chat.delete"}]})
    assert check.status_code == 422, check.text
    assert "chat.delete" in str(check.json()["detail"])


async def test_custom_defaults_apply_to_custom_keys(
    start_api: StartApi, catalog_file: Path
) -> None:
    api = (await start_api(permission_catalog=catalog_file)).api
    user = await api.user()

    response = await api.post(DEFAULTS, {"reports": {"export": True}})

    assert response.status_code == 200, response.text
    assert response.json() == {
        "reports": {"view": True, "export": True},
        "billing": {"manage": False},
    }
    assert (await my_permissions(api, user))["reports"]["export"] is True


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"reports": true}', "'reports' must be a section"),
        ('{"reports": {"view": "yes"}}', "'reports.view' must be true or false"),
        ('{"reports": {', "not valid JSON"),
    ],
)
def test_malformed_catalog_stops_create_app(
    database_url: str, tmp_path: Path, content: str, problem: str
) -> None:
    bad = tmp_path / "bad-catalog.json"
    bad.write_text(content)

    with pytest.raises(CatalogError) as caught:
        create_app(make_settings(database_url, tmp_path, permission_catalog=bad))

    assert str(bad) in str(caught.value)
    assert problem in str(caught.value)


def test_missing_catalog_stops_create_app(database_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"

    with pytest.raises(CatalogError) as caught:
        create_app(make_settings(database_url, tmp_path, permission_catalog=missing))

    assert str(missing) in str(caught.value)


def test_serve_with_a_malformed_catalog_exits_with_the_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"reports": {"view": "yes"}}')
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENGROUPS_")}
    env |= {
        "OPENGROUPS_DATA_DIR": str(tmp_path / "data"),
        "OPENGROUPS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "OPENGROUPS_PERMISSION_CATALOG": str(bad),
        "COLUMNS": "500",  # keep the message on one line
    }

    # A bounded wait: a server that started anyway would otherwise run forever.
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "opengroups"), "serve", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode != 0
    stderr = " ".join(completed.stderr.split())
    assert str(bad) in stderr
    assert "'reports.view' must be true or false" in stderr
    assert "Traceback" not in completed.stderr
