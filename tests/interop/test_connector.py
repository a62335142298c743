"""The connector against a real Open WebUI 0.12.4: opengroups (this suite's app and database)
plans and applies its groups to an Open WebUI target, and every outcome is checked through
Open WebUI's own API.

One Open WebUI serves the whole module (a start takes 15-60 s): its admin, its API key and its
users (``USERS``, the e-mails ``Api.user`` gives in opengroups) are made once; each test starts
with no group on it and its default permissions at Open WebUI's defaults, and with an empty
opengroups. The last test stops and restarts it.

Opt-in (``pytest -m interop tests/interop/test_connector.py``) and skipped unless Open WebUI is
installed (``scripts/install-openwebui.sh``). Only loopback traffic.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Collection, Iterator
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from opengroups.app import runtime_of
from opengroups.bootstrap import Runtime
from opengroups.connector import service
from opengroups.connector.apply import ApplyReport
from opengroups.connector.client import TargetUnavailable
from opengroups.connector.plan import Plan
from opengroups.connector.schemas import TargetForm
from opengroups.models import Group, OwuiTarget
from opengroups.permissions.catalog import OPEN_WEBUI_TREE
from tests.conftest import Api, AppFactory, transaction
from tests.connector.conftest import Target, register
from tests.interop.openwebui import OpenWebUI, executable, openwebui_server

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(
        not executable().exists(),
        reason=f"Open WebUI 0.12.4 is not installed: no {executable()} "
        "(run scripts/install-openwebui.sh, or set OPENGROUPS_OPENWEBUI_HOME)",
    ),
]
ADMIN = {"name": "Admin", "email": "owui-admin@example.com", "password": "admin-password-1"}
USERS = tuple(f"user{n}@example.com" for n in range(1, 5))
DEFAULTS = "/api/v1/users/default/permissions"


@dataclass
class Instance:
    """The module's Open WebUI: the process, its admin's signed-in token and API key."""

    server: OpenWebUI
    token: str
    api_key: str

    def admin_call(self, method: str, path: str, body: Any = None) -> Any:
        """A request as the admin, with the signed-in token (not the API key)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        url = f"{self.server.base_url}{path}"
        response = httpx.request(method, url, json=body, headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def set_api_keys(self, *, enabled: bool) -> None:
        """Open WebUI's admin setting "Enable API Keys" (off on a fresh instance)."""
        config = self.admin_call("GET", "/api/v1/auths/admin/config")
        config["ENABLE_API_KEYS"] = enabled
        answer = self.admin_call("POST", "/api/v1/auths/admin/config", config)
        assert answer["ENABLE_API_KEYS"] is enabled


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """A fresh Open WebUI 0.12.4 with its admin (the first sign-up), an API key and ``USERS``."""
    with openwebui_server(tmp_path_factory.mktemp("openwebui")) as server:
        signup = httpx.post(f"{server.base_url}/api/v1/auths/signup", json=ADMIN, timeout=30)
        assert signup.status_code == 200, signup.text
        assert signup.json()["role"] == "admin"
        found = Instance(server, token=signup.json()["token"], api_key="")
        # A fresh instance refuses API keys, to its admin too, until they are enabled.
        refused = httpx.post(
            f"{server.base_url}/api/v1/auths/api_key",
            headers={"Authorization": f"Bearer {found.token}"},
            timeout=30,
        )
        assert refused.status_code == 403, refused.text
        found.set_api_keys(enabled=True)
        found.api_key = found.admin_call("POST", "/api/v1/auths/api_key")["api_key"]
        assert found.api_key.startswith("sk-")
        for email in USERS:
            found.admin_call(
                "POST",
                "/api/v1/auths/add",
                {"name": email.split("@")[0], "email": email, "password": "pw-12345678"},
            )
        yield found


@pytest.fixture
async def owui(instance: Instance) -> Target:
    """The module's Open WebUI, running, with no group and its default permissions reset."""
    if not instance.server.running:  # a test that stopped it failed before restarting it
        instance.server.start()
    instance.set_api_keys(enabled=True)
    target = Target(instance.server.base_url, instance.api_key)
    for group in await target.call("GET", "/api/v1/groups/"):
        await target.call("DELETE", f"/api/v1/groups/id/{group['id']}/delete")
    await target.call("POST", DEFAULTS, await target.call("GET", f"{DEFAULTS}/defaults"))
    return target


# --- helpers ---------------------------------------------------------------------------------


async def plan(runtime: Runtime, *, adopt: Collection[str] = (), name: str = "chat") -> Plan:
    async with transaction(runtime) as session:
        return await service.plan_target(
            session, runtime.authz, settings=runtime.settings, name=name, adopt=adopt
        )


async def apply(
    runtime: Runtime,
    *,
    adopt: Collection[str] = (),
    name: str = "chat",
    transport: httpx.AsyncBaseTransport | None = None,
) -> ApplyReport:
    async with transaction(runtime) as session:
        return await service.apply_target(
            session,
            runtime.authz,
            settings=runtime.settings,
            name=name,
            adopt=adopt,
            transport=transport,
        )


async def add_target(
    runtime: Runtime, name: str, url: str, api_key: str, prefix: str | None = None
) -> None:
    async with transaction(runtime) as session:
        await service.create_target(
            session,
            form=TargetForm(name=name, base_url=url, api_key=api_key, prefix=prefix),
            settings=runtime.settings,
        )


async def source_tree(api: Api) -> dict[str, dict[str, Any]]:
    """In opengroups: Engineering > Backend > Platform, and Sales beside them, with members
    ``USERS`` 1-4; the groups by name, as opengroups answers them."""
    alice, bob, carol, dave = [await api.user() for _ in USERS]
    assert [a.email for a in (alice, bob, carol, dave)] == list(USERS)
    engineering = await api.group(
        "Engineering",
        description="builders",
        permissions={"workspace": {"models": True, "knowledge": True}},
        data={"config": {"share": False}},
    )
    backend = await api.group(
        "Backend",
        permissions={"chat": {"delete": False}},
        parent_group_id=engineering["id"],
    )
    platform = await api.group("Platform", parent_group_id=backend["id"])
    sales = await api.group("Sales", description="sells", data={"config": {"share": "members"}})
    await api.add(engineering["id"], alice.id)
    await api.add(backend["id"], bob.id, carol.id)
    await api.add(platform["id"], dave.id)
    await api.add(sales["id"], carol.id)
    listed = (await api.get("/api/v1/groups/")).json()
    return {group["name"]: group for group in listed}


async def emails(target: Target) -> dict[str, str]:
    """``{user id: e-mail}`` of every user of the target."""
    body = await target.call("GET", "/api/v1/users/all")
    return {user["id"]: user["email"] for user in body["users"]}


async def members(target: Target, group: dict[str, Any]) -> set[str]:
    """The e-mails of an exported group's direct members."""
    by_id = await emails(target)
    return {by_id[uid] for uid in group["user_ids"]}


async def revisions(runtime: Runtime) -> dict[str, int]:
    async with transaction(runtime) as session:
        rows = (await session.execute(select(Group.id, Group.revision))).all()
    return {group_id: revision for group_id, revision in rows}


async def effective_members(target: Target, group_id: str) -> set[str]:
    """The e-mails of a group's effective members (its own and its subgroups')."""
    body = await target.call("GET", f"/api/v1/groups/id/{group_id}/members")
    return {item["email"] for item in body["items"]}


def without_updated_at(groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: {**g, "updated_at": None} for name, g in groups.items()}


# --- the scenarios ---------------------------------------------------------------------------


async def test_apply_builds_the_tree_on_open_webui_and_a_second_apply_is_empty(
    api: Api, runtime: Runtime, owui: Target
) -> None:
    ours = await source_tree(api)
    defaults = (await api.get(DEFAULTS)).json()
    defaults["workspace"]["prompts"] = True
    defaults["chat"]["delete"] = False
    assert (await api.post(DEFAULTS, defaults)).status_code == 200
    await register(runtime, owui.base_url, owui.api_key)

    planned = await plan(runtime)
    kinds = [action.kind for action in planned.actions]
    assert [a.group for a in planned.actions if a.kind == "create"] == [
        "Engineering",
        "Sales",
        "Backend",
        "Platform",
    ]
    assert kinds.count("add_members") == 4
    assert kinds.count("mark") == 4
    assert kinds[-1] == "default_permissions"
    assert not planned.drift
    assert not planned.missing_users
    assert not planned.conflicts

    report = await apply(runtime)
    assert report.ok, report.error
    assert len(report.done) == len(planned.actions)

    theirs = await owui.groups()
    assert set(theirs) == set(ours)
    assert theirs["Engineering"]["parent_group_id"] is None
    assert theirs["Backend"]["parent_group_id"] == theirs["Engineering"]["id"]
    assert theirs["Platform"]["parent_group_id"] == theirs["Backend"]["id"]
    assert theirs["Sales"]["parent_group_id"] is None
    revision = await revisions(runtime)
    for name, group in ours.items():
        held = theirs[name]
        assert held["description"] == group["description"]
        assert (held["permissions"] or {}) == (group["permissions"] or {})
        assert held["data"]["config"]["share"] == group["data"]["config"]["share"]
        assert held["data"]["opengroups"] == {"id": group["id"], "revision": revision[group["id"]]}
    assert theirs["Engineering"]["data"]["config"]["share"] is False
    assert theirs["Sales"]["data"]["config"]["share"] == "members"
    assert await members(owui, theirs["Engineering"]) == {USERS[0]}
    assert await members(owui, theirs["Backend"]) == {USERS[1], USERS[2]}
    assert await members(owui, theirs["Platform"]) == {USERS[3]}
    assert await members(owui, theirs["Sales"]) == {USERS[2]}
    # Open WebUI nests as opengroups does: a subgroup's members are members of its parents.
    assert await effective_members(owui, theirs["Engineering"]["id"]) == set(USERS)
    ours_effective = await api.get(f"/api/v1/groups/id/{ours['Engineering']['id']}/members")
    assert {item["email"] for item in ours_effective.json()["items"]} == set(USERS)
    assert await owui.call("GET", DEFAULTS) == defaults

    assert (await plan(runtime)).empty
    second = await apply(runtime)
    assert second.ok
    assert not second.done
    assert without_updated_at(await owui.groups()) == without_updated_at(theirs)


async def update_on_open_webui(target: Target, group: dict[str, Any], **fields: Any) -> None:
    """An admin's edit on Open WebUI: its update wants the whole form (name, description)."""
    form = {"name": group["name"], "description": group["description"], **fields}
    await target.call("POST", f"/api/v1/groups/id/{group['id']}/update", form)


async def test_drift_on_open_webui_is_shown_then_reverted(
    api: Api, runtime: Runtime, owui: Target
) -> None:
    await source_tree(api)
    await register(runtime, owui.base_url, owui.api_key)
    assert (await apply(runtime)).ok
    applied = await owui.groups()
    ids = {email: uid for uid, email in (await emails(owui)).items()}
    engineering, platform = applied["Engineering"], applied["Platform"]
    await update_on_open_webui(
        owui,
        engineering,
        name="Engineers",
        permissions={"workspace": {"tools": True}},
        data={"config": {"share": True}},
    )
    await update_on_open_webui(owui, platform, parent_group_id=None)
    await owui.call(
        "POST",
        f"/api/v1/groups/id/{applied['Sales']['id']}/users/add",
        {"user_ids": [ids[USERS[0]]]},
    )
    await owui.call(
        "POST",
        f"/api/v1/groups/id/{applied['Backend']['id']}/users/remove",
        {"user_ids": [ids[USERS[1]]]},
    )

    planned = await plan(runtime)
    drift = {item.group: item for item in planned.drift}
    assert set(drift) == {"Engineers", "Platform", "Sales", "Backend"}
    assert set(drift["Engineers"].fields) == {"name", "permissions", "share"}
    assert drift["Platform"].fields == ("parent",)
    assert drift["Sales"].extra_members == (USERS[0],)
    assert drift["Backend"].lacking_members == (USERS[1],)

    assert (await apply(runtime)).ok
    assert without_updated_at(await owui.groups()) == without_updated_at(applied)
    assert (await plan(runtime)).empty

    # A managed group deleted on Open WebUI: its subgroup moves up to its parent there.
    await owui.call("DELETE", f"/api/v1/groups/id/{applied['Backend']['id']}/delete")
    moved = (await owui.groups())["Platform"]
    assert moved["parent_group_id"] == engineering["id"]
    planned = await plan(runtime)
    assert [(a.kind, a.group) for a in planned.actions if a.kind == "create"] == [
        ("create", "Backend")
    ]
    assert [(d.group, d.fields) for d in planned.drift] == [("Platform", ("parent",))]
    assert (await apply(runtime)).ok
    restored = await owui.groups()
    assert restored["Platform"]["parent_group_id"] == restored["Backend"]["id"]
    assert await members(owui, restored["Backend"]) == {USERS[1], USERS[2]}
    assert (await plan(runtime)).empty


async def test_an_unmanaged_group_is_a_conflict_until_adopted(
    api: Api, runtime: Runtime, owui: Target
) -> None:
    ids = {email: uid for uid, email in (await emails(owui)).items()}
    theirs = await owui.call(
        "POST",
        "/api/v1/groups/create",
        {
            "name": "Sales",
            "description": "theirs",
            "data": {"config": {"share": True}, "note": "kept"},
        },
    )
    other = await owui.call(
        "POST", "/api/v1/groups/create", {"name": "Marketing", "description": ""}
    )
    for group, email in ((theirs, USERS[3]), (other, USERS[0])):
        await owui.call(
            "POST", f"/api/v1/groups/id/{group['id']}/users/add", {"user_ids": [ids[email]]}
        )
    await source_tree(api)
    await register(runtime, owui.base_url, owui.api_key)
    before = await owui.groups()

    planned = await plan(runtime)
    assert planned.conflicts == ("Sales",)
    assert not {theirs["id"], other["id"]} & {a.target_id for a in planned.actions}
    assert (await apply(runtime)).ok
    after = await owui.groups()
    assert after["Sales"] == before["Sales"]
    assert after["Marketing"] == before["Marketing"]

    adopting = await plan(runtime, adopt=["sales", "Nowhere"])
    assert adopting.not_adoptable == ("Nowhere",)
    assert {a.target_id for a in adopting.actions} == {theirs["id"]}
    assert (await apply(runtime, adopt=["sales"])).ok
    adopted = (await owui.groups())["Sales"]
    assert adopted["id"] == theirs["id"]
    assert adopted["description"] == "sells"
    assert adopted["data"]["config"]["share"] == "members"
    assert adopted["data"]["opengroups"]["id"]
    # Open WebUI merges an update's data into what the group holds: its own keys stay.
    assert adopted["data"]["note"] == "kept"
    assert await members(owui, adopted) == {USERS[2]}
    assert (await owui.groups())["Marketing"] == before["Marketing"]
    assert (await plan(runtime)).empty


async def test_a_prefix_scope_touches_only_its_groups(
    api: Api, runtime: Runtime, owui: Target
) -> None:
    await owui.call("POST", "/api/v1/groups/create", {"name": "owui-Legacy", "description": ""})
    await owui.call("POST", "/api/v1/groups/create", {"name": "Finance", "description": ""})
    ours = await source_tree(api)
    chat = await api.group("owui-Chat", description="chatters")
    await api.group("owui-Chat-Admins", parent_group_id=chat["id"])
    await api.group("owui-Builders", parent_group_id=ours["Engineering"]["id"])
    await register(runtime, owui.base_url, owui.api_key, prefix="OWUI-")
    before = await owui.groups()

    assert (await apply(runtime)).ok
    after = await owui.groups()
    assert set(after) == {
        "owui-Legacy",
        "Finance",
        "owui-Chat",
        "owui-Chat-Admins",
        "owui-Builders",
    }
    assert after["owui-Chat-Admins"]["parent_group_id"] == after["owui-Chat"]["id"]
    # Its parent is out of scope: it is top-level on the target.
    assert after["owui-Builders"]["parent_group_id"] is None
    for name in ("owui-Legacy", "Finance"):
        assert after[name] == before[name]
    assert (await plan(runtime)).empty


async def test_default_permissions_follow_opengroups(
    api: Api, runtime: Runtime, owui: Target
) -> None:
    await register(runtime, owui.base_url, owui.api_key)
    ours = (await api.get(DEFAULTS)).json()
    ours["features"]["web_search"] = False
    assert (await api.post(DEFAULTS, ours)).status_code == 200

    (action,) = (await plan(runtime)).actions
    assert action.kind == "default_permissions"
    assert (await apply(runtime)).ok
    assert await owui.call("GET", DEFAULTS) == ours

    changed = deepcopy(ours)
    changed["workspace"]["models"] = True
    await owui.call("POST", DEFAULTS, changed)
    (action,) = (await plan(runtime)).actions
    assert action.kind == "default_permissions"
    assert (await apply(runtime)).ok
    assert await owui.call("GET", DEFAULTS) == ours
    assert (await plan(runtime)).empty


async def test_defaults_of_a_narrower_catalog_leave_open_webuis_other_keys(
    app_factory: AppFactory, owui: Target, tmp_path: Path
) -> None:
    """Open WebUI wants every section of its defaults; opengroups' catalog may lack some."""
    narrower = {key: value for key, value in OPEN_WEBUI_TREE.items() if key != "settings"}
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(narrower))
    app = await app_factory(permission_catalog=catalog)
    runtime = runtime_of(app)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        api = Api(client)
        ours = (await api.get(DEFAULTS)).json()
        assert "settings" not in ours
        ours["workspace"]["models"] = True
        assert (await api.post(DEFAULTS, ours)).status_code == 200
    theirs = await owui.call("GET", DEFAULTS)
    theirs["settings"]["interface"] = False
    await owui.call("POST", DEFAULTS, theirs)
    await register(runtime, owui.base_url, owui.api_key)

    report = await apply(runtime)
    assert report.ok, report.error
    now = await owui.call("GET", DEFAULTS)
    assert now["workspace"]["models"] is True
    assert now["settings"]["interface"] is False
    assert (await plan(runtime)).empty


async def test_keys_open_webui_refuses_are_reported(
    api: Api, runtime: Runtime, owui: Target, instance: Instance
) -> None:
    await api.group("Engineering")
    # A signed-in token serves as the key as well (until it expires: JWT_EXPIRES_IN, 4w).
    await add_target(runtime, "chat", owui.base_url, instance.token)
    assert [a.kind for a in (await plan(runtime)).actions] == ["create"]

    await add_target(runtime, "wrong", owui.base_url, "sk-0123456789abcdef0123456789abcdef")
    with pytest.raises(TargetUnavailable) as wrong:
        await plan(runtime, name="wrong")
    assert wrong.value.message.startswith("GET /api/v1/groups/: 401 ")

    await add_target(runtime, "keyed", owui.base_url, instance.api_key)
    instance.set_api_keys(enabled=False)
    try:
        report = await apply(runtime, name="keyed")
    finally:
        instance.set_api_keys(enabled=True)
    assert not report.ok
    assert report.plan is None
    assert (report.error or "").startswith("GET /api/v1/groups/: 403 ")
    assert instance.api_key not in (report.error or "")
    assert "Engineering" not in await owui.groups()


async def test_two_prefix_targets_on_one_open_webui_leave_each_other_alone(
    api: Api, runtime: Runtime, owui: Target
) -> None:
    await api.group("owui-Chat")
    await api.group("team-Sales")
    await add_target(runtime, "team", owui.base_url, owui.api_key, prefix="team-")
    assert (await apply(runtime, name="team")).ok
    await register(runtime, owui.base_url, owui.api_key, prefix="owui-")

    planned = await plan(runtime)

    assert [(a.kind, a.group) for a in planned.actions] == [("create", "owui-Chat")]


async def test_defaults_of_a_wider_catalog_are_applied_once(
    app_factory: AppFactory, owui: Target, tmp_path: Path
) -> None:
    wider: dict[str, Any] = deepcopy(OPEN_WEBUI_TREE)
    wider["features"]["from_a_later_version"] = True
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(wider))
    runtime = runtime_of(await app_factory(permission_catalog=catalog))
    await register(runtime, owui.base_url, owui.api_key)
    assert (await apply(runtime)).ok

    assert (await plan(runtime)).empty


class StopsOpenWebUI(httpx.AsyncBaseTransport):
    """The network, until ``writes`` write requests have gone through: then Open WebUI is
    stopped, for real, and the request goes to a closed port."""

    def __init__(self, server: OpenWebUI, writes: int) -> None:
        self.server = server
        self.left = writes
        self.network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            if self.left == 0 and self.server.running:
                await asyncio.to_thread(self.server.stop)
            self.left -= 1
        return await self.network.handle_async_request(request)

    async def aclose(self) -> None:
        await self.network.aclose()


async def test_open_webui_stopped_mid_apply_then_restarted_the_next_apply_finishes(
    api: Api, runtime: Runtime, owui: Target, instance: Instance
) -> None:
    """Last in the module: it stops and restarts the module's Open WebUI."""
    await source_tree(api)
    await register(runtime, owui.base_url, owui.api_key)
    total = len((await plan(runtime)).actions)

    cut = await apply(runtime, transport=StopsOpenWebUI(instance.server, writes=3))
    assert not cut.ok
    assert len(cut.done) == 3
    assert len(cut.not_done) == total - 3
    assert "ConnectError" in (cut.error or "")

    while_down = await apply(runtime)
    assert not while_down.ok
    assert while_down.plan is None
    assert (while_down.error or "").startswith("GET /api/v1/groups/: ConnectError")
    async with transaction(runtime) as session:
        stored = (await session.execute(select(OwuiTarget))).scalar_one()
    assert stored.last_result is not None
    assert stored.last_result["ok"] is False

    await asyncio.to_thread(instance.server.start)
    resumed = await plan(runtime)
    assert not resumed.drift
    assert len(resumed.actions) == total - 3
    assert (await apply(runtime)).ok
    assert (await plan(runtime)).empty
    groups = await owui.groups()
    assert set(groups) == {"Engineering", "Backend", "Platform", "Sales"}
    assert await members(owui, groups["Backend"]) == {USERS[1], USERS[2]}
