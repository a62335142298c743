"""Plan and apply against a real second opengroups process standing in as the target."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import httpx
from sqlalchemy import select

from opengroups.bootstrap import Runtime
from opengroups.connector import service
from opengroups.connector.apply import ApplyReport
from opengroups.connector.plan import Plan
from opengroups.models import AuditEvent, OwuiTarget
from tests.conftest import Api, snapshot, transaction
from tests.connector.conftest import Target, register
from tests.servers import free_port


async def plan(runtime: Runtime, *, adopt: Collection[str] = ()) -> Plan:
    async with transaction(runtime) as session:
        return await service.plan_target(
            session, runtime.authz, settings=runtime.settings, name="chat", adopt=adopt
        )


async def apply(
    runtime: Runtime,
    *,
    adopt: Collection[str] = (),
    transport: httpx.AsyncBaseTransport | None = None,
) -> ApplyReport:
    async with transaction(runtime) as session:
        return await service.apply_target(
            session,
            runtime.authz,
            settings=runtime.settings,
            name="chat",
            adopt=adopt,
            transport=transport,
        )


async def source_tree(api: Api, target: Target) -> dict[str, str]:
    """Engineering > Backend with two members, Sales beside them; the same users on the target.
    ``{email: source user id}``."""
    alice, bob, carol = await api.user(), await api.user(), await api.user()
    for account in (alice, bob, carol):
        await target.user(account.email)
    engineering = await api.group(
        "Engineering",
        description="builders",
        permissions={"workspace": {"models": True}},
        data={"config": {"share": False}},
    )
    backend = await api.group("Backend", parent_group_id=engineering["id"])
    sales = await api.group("Sales", data={"config": {"share": "members"}})
    await api.add(engineering["id"], alice.id)
    await api.add(backend["id"], bob.id, carol.id)
    await api.add(sales["id"], carol.id)
    return {a.email: a.id for a in (alice, bob, carol)}


def emails_of(users: dict[str, Any]) -> dict[str, str]:
    return {user["id"]: user["email"] for user in users["users"]}


async def target_users(target: Target) -> dict[str, str]:
    return emails_of(await target.call("GET", "/api/v1/users/"))


async def test_apply_creates_the_tree_and_a_second_apply_is_empty(
    api: Api, runtime: Runtime, target: Target
) -> None:
    await source_tree(api, target)
    defaults = (await api.get("/api/v1/users/default/permissions")).json()
    defaults["workspace"]["models"] = not defaults["workspace"]["models"]
    assert (await api.post("/api/v1/users/default/permissions", defaults)).status_code == 200
    await register(runtime, target.base_url, target.api_key)

    planned = await plan(runtime)
    kinds = [action.kind for action in planned.actions]
    assert kinds.count("create") == 3
    assert kinds.index("create") < kinds.index("add_members")
    creates = [a.group for a in planned.actions if a.kind == "create"]
    assert creates.index("Engineering") < creates.index("Backend")
    assert kinds[-1] == "default_permissions"
    assert not planned.drift
    assert not planned.missing_users

    report = await apply(runtime)
    assert report.ok, report.error
    assert len(report.done) == len(planned.actions)
    assert not report.not_done

    groups = await target.groups()
    users = await target_users(target)
    assert set(groups) == {"Engineering", "Backend", "Sales"}
    engineering, backend, sales = groups["Engineering"], groups["Backend"], groups["Sales"]
    assert backend["parent_group_id"] == engineering["id"]
    assert engineering["description"] == "builders"
    assert engineering["permissions"] == {"workspace": {"models": True}}
    assert engineering["data"]["config"]["share"] is False
    assert sales["data"]["config"]["share"] == "members"
    assert engineering["data"]["opengroups"]["id"]
    assert {users[u] for u in backend["user_ids"]} == {"user2@example.com", "user3@example.com"}
    assert {users[u] for u in engineering["user_ids"]} == {"user1@example.com"}
    assert (await target.call("GET", "/api/v1/users/default/permissions")) == defaults

    assert (await plan(runtime)).empty
    second = await apply(runtime)
    assert second.ok
    assert not second.done

    async with transaction(runtime) as session:
        stored = (await session.execute(select(OwuiTarget))).scalar_one()
        events = (
            (await session.execute(select(AuditEvent).where(AuditEvent.action == "owui.apply")))
            .scalars()
            .all()
        )
    assert stored.last_result is not None
    assert stored.last_result["ok"] is True
    assert stored.last_apply_at is not None
    assert len(events) == 2
    assert events[0].after["done"]["create"] == 3
    assert target.api_key not in str(events[0].after) + str(stored.last_result)


async def test_drift_on_the_target_is_shown_then_reverted(
    api: Api, runtime: Runtime, target: Target
) -> None:
    await source_tree(api, target)
    await register(runtime, target.base_url, target.api_key)
    assert (await apply(runtime)).ok
    groups = await target.groups()
    users = {email: uid for uid, email in (await target_users(target)).items()}
    engineering = groups["Engineering"]
    await target.call(
        "POST",
        f"/api/v1/groups/id/{engineering['id']}/update",
        {"name": "Engineers", "permissions": {"workspace": {"tools": True}}},
    )
    await target.call(
        "POST",
        f"/api/v1/groups/id/{groups['Sales']['id']}/users/add",
        {"user_ids": [users["user1@example.com"]]},
    )

    planned = await plan(runtime)
    drift = {item.group: item for item in planned.drift}
    assert set(drift) == {"Engineers", "Sales"}
    assert set(drift["Engineers"].fields) == {"name", "permissions"}
    assert drift["Sales"].extra_members == ("user1@example.com",)

    assert (await apply(runtime)).ok
    groups = await target.groups()
    assert set(groups) == {"Engineering", "Backend", "Sales"}
    assert groups["Engineering"]["permissions"] == {"workspace": {"models": True}}
    assert users["user1@example.com"] not in groups["Sales"]["user_ids"]
    assert (await plan(runtime)).empty


async def test_changes_in_opengroups_are_not_drift(
    api: Api, runtime: Runtime, target: Target
) -> None:
    ids = await source_tree(api, target)
    await register(runtime, target.base_url, target.api_key)
    assert (await apply(runtime)).ok
    listed = {g["name"]: g for g in (await api.get("/api/v1/groups/")).json()}
    await api.post(f"/api/v1/groups/id/{listed['Sales']['id']}/update", {"description": "new"})
    await api.post(f"/api/v1/groups/id/{listed['Backend']['id']}/update", {"parent_group_id": None})
    await api.add(listed["Sales"]["id"], ids["user1@example.com"])
    await api.delete(f"/api/v1/groups/id/{listed['Engineering']['id']}/delete")

    planned = await plan(runtime)
    assert not planned.drift
    assert next(a.kind for a in planned.actions) == "delete"
    assert (await apply(runtime)).ok
    groups = await target.groups()
    assert set(groups) == {"Backend", "Sales"}
    assert groups["Backend"]["parent_group_id"] is None
    assert groups["Sales"]["description"] == "new"
    assert len(groups["Sales"]["user_ids"]) == 2
    assert (await plan(runtime)).empty


async def test_unmarked_groups_are_left_alone_until_adopted(
    api: Api, runtime: Runtime, target: Target
) -> None:
    await source_tree(api, target)
    theirs = await target.call("POST", "/api/v1/groups/create", {"name": "Sales"})
    other = await target.call("POST", "/api/v1/groups/create", {"name": "Marketing"})
    await register(runtime, target.base_url, target.api_key)

    planned = await plan(runtime)
    assert planned.conflicts == ("Sales",)
    touched = {a.target_id for a in planned.actions}
    assert theirs["id"] not in touched
    assert other["id"] not in touched
    assert (await apply(runtime)).ok
    groups = await target.groups()
    assert groups["Sales"]["user_ids"] == []
    assert "opengroups" not in groups["Sales"]["data"]
    assert groups["Marketing"]["id"] == other["id"]

    adopting = await plan(runtime, adopt=["sales", "Nowhere"])
    assert adopting.not_adoptable == ("Nowhere",)
    assert {a.target_id for a in adopting.actions} == {theirs["id"]}
    assert (await apply(runtime, adopt=["Sales"])).ok
    groups = await target.groups()
    assert groups["Sales"]["id"] == theirs["id"]
    assert groups["Sales"]["data"]["opengroups"]["id"]
    assert groups["Sales"]["data"]["config"]["share"] == "members"
    assert len(groups["Sales"]["user_ids"]) == 1
    assert "opengroups" not in (groups["Marketing"]["data"] or {})
    assert (await plan(runtime)).empty


async def test_a_prefix_scope_leaves_other_groups_alone(
    api: Api, runtime: Runtime, target: Target
) -> None:
    await source_tree(api, target)
    await api.group("owui-Chat")
    await register(runtime, target.base_url, target.api_key, prefix="OWUI-")
    assert (await apply(runtime)).ok
    assert set(await target.groups()) == {"owui-Chat"}


async def test_missing_users_are_reported(api: Api, runtime: Runtime, target: Target) -> None:
    lost = await api.user()
    group = await api.group("Lonely")
    await api.add(group["id"], lost.id)
    await register(runtime, target.base_url, target.api_key)
    planned = await plan(runtime)
    assert planned.missing_users == (lost.email,)
    report = await apply(runtime)
    assert report.ok
    assert report.result(at=0)["missing_user_emails"] == [lost.email]
    assert (await target.groups())["Lonely"]["user_ids"] == []
    assert (await plan(runtime)).empty


async def test_a_closed_port_gives_a_report_and_changes_only_the_record(
    api: Api, runtime: Runtime
) -> None:
    await api.group("Engineering")
    await register(runtime, f"http://127.0.0.1:{free_port()}", "key")
    before = await snapshot(runtime.database)
    report = await apply(runtime)
    assert not report.ok
    assert report.plan is None
    assert report.error is not None
    assert report.error.startswith("GET /api/v1/groups/")
    after = await snapshot(runtime.database)
    changed = {table for table in after if after[table] != before[table]}
    assert changed <= {'"audit_event"', '"owui_target"', '"cache_log"', '"cache_revision"'}
    assert '"owui_target"' in changed
    assert '"audit_event"' in changed


class FailingAfter(httpx.AsyncBaseTransport):
    """The network, until ``writes`` write requests have gone through: then the target is
    gone."""

    def __init__(self, writes: int) -> None:
        self.left = writes
        self.network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            if self.left == 0:
                raise httpx.ConnectError("the target went away", request=request)
            self.left -= 1
        return await self.network.handle_async_request(request)

    async def aclose(self) -> None:
        await self.network.aclose()


async def test_a_target_failing_mid_apply_is_finished_by_the_next_apply(
    api: Api, runtime: Runtime, target: Target
) -> None:
    await source_tree(api, target)
    await register(runtime, target.base_url, target.api_key)
    total = len((await plan(runtime)).actions)
    cut = await apply(runtime, transport=FailingAfter(writes=2))
    assert not cut.ok
    assert len(cut.done) == 2
    assert len(cut.not_done) == total - 2
    assert "went away" in (cut.error or "")
    resumed = await plan(runtime)
    assert not resumed.drift
    assert len(resumed.actions) == total - 2
    assert (await apply(runtime)).ok
    assert (await plan(runtime)).empty
    assert set(await target.groups()) == {"Engineering", "Backend", "Sales"}


async def test_a_change_to_a_child_of_an_unchanged_parent(
    api: Api, runtime: Runtime, target: Target
) -> None:
    """Only the child has actions: its parent's id on the target comes from the plan."""
    await source_tree(api, target)
    await register(runtime, target.base_url, target.api_key)
    assert (await apply(runtime)).ok
    newcomer = await api.user()
    await target.user(newcomer.email)
    backend = next(g for g in (await api.get("/api/v1/groups/")).json() if g["name"] == "Backend")
    await api.add(backend["id"], newcomer.id)
    await api.group("Platform", parent_group_id=backend["parent_group_id"])

    planned = await plan(runtime)
    assert {(a.kind, a.group) for a in planned.actions} == {
        ("add_members", "Backend"),
        ("mark", "Backend"),
        ("create", "Platform"),
    }
    report = await apply(runtime)
    assert report.ok, report.error
    groups = await target.groups()
    assert groups["Backend"]["parent_group_id"] == groups["Engineering"]["id"]
    assert groups["Platform"]["parent_group_id"] == groups["Engineering"]["id"]
    assert len(groups["Backend"]["user_ids"]) == 3
    assert (await plan(runtime)).empty
