"""The reconcile loop, a target's status, its settings changed, and the creation of the users
a target lacks; against a real second opengroups process as the target."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from opengroups.bootstrap import Runtime
from opengroups.connector import reconcile, repository, service
from opengroups.models import AuditEvent, OwuiTarget, now_epoch
from tests.conftest import Api, StartApi, transaction
from tests.connector.conftest import Target
from tests.servers import free_port

TARGETS = "/api/v1/owui/targets"


async def tick(runtime: Runtime) -> list[str]:
    """One look of the loop; the targets it applied, ``name: ok|error``."""
    reports = await reconcile.tick(runtime.database, runtime.authz, runtime.settings)
    return [f"{r.target}: {'ok' if r.ok else r.error}" for r in reports]


async def stored(runtime: Runtime, name: str = "chat") -> OwuiTarget:
    async with transaction(runtime) as session:
        target = await repository.target_by_name(session, name)
        assert target is not None
        return target


async def register(api: Api, url: str, api_key: str, **settings: object) -> dict[str, object]:
    created = await api.post(
        TARGETS, {"name": "chat", "base_url": url, "api_key": api_key, **settings}
    )
    assert created.status_code == 200, created.text
    return dict(created.json())


async def test_a_reconciled_target_follows_each_change(
    api: Api, runtime: Runtime, target: Target
) -> None:
    alice = await api.user()
    await target.user(alice.email)
    staff = await api.group("Staff")
    await api.add(staff["id"], alice.id)

    created = await register(api, target.base_url, target.api_key, reconcile_minutes=60)
    assert (created["status"], created["reconcile_minutes"]) == ("pending", 60)

    assert await tick(runtime) == ["chat: ok"]
    groups = await target.groups()
    assert set(groups) == {"Staff"}
    assert len(groups["Staff"]["user_ids"]) == 1
    listed = (await api.get(TARGETS)).json()
    assert listed[0]["status"] == "in_sync"
    assert await tick(runtime) == []  # nothing changed, the interval has not passed

    await api.group("Sales")
    assert (await api.get(TARGETS)).json()[0]["status"] == "pending"
    assert await tick(runtime) == ["chat: ok"]
    assert set(await target.groups()) == {"Staff", "Sales"}
    assert await tick(runtime) == []  # its own records do not count as changes


async def test_a_target_applied_by_hand_is_never_reconciled(
    api: Api, runtime: Runtime, target: Target
) -> None:
    await api.group("Staff")
    created = await register(api, target.base_url, target.api_key)
    assert created["status"] == "manual"
    assert await tick(runtime) == []
    assert await target.groups() == {}


async def test_the_interval_applies_again_without_a_change(
    api: Api, runtime: Runtime, target: Target
) -> None:
    await register(api, target.base_url, target.api_key, reconcile_minutes=5)
    assert await tick(runtime) == ["chat: ok"]
    held = await stored(runtime)
    assert held.last_apply_at is not None
    assert held.reconciled_change is not None
    assert not reconcile.due(held, cursor=held.reconciled_change, now=held.last_apply_at + 299)
    assert reconcile.due(held, cursor=held.reconciled_change, now=held.last_apply_at + 300)
    assert reconcile.due(held, cursor=held.reconciled_change + 1, now=held.last_apply_at)


async def test_a_failing_target_backs_off_and_recovers(
    api: Api, runtime: Runtime, target: Target
) -> None:
    await api.group("Staff")
    down = f"http://127.0.0.1:{free_port()}"
    await register(api, down, target.api_key, reconcile_minutes=10)

    before = now_epoch()
    [outcome] = await tick(runtime)
    assert "GET /api/v1/groups/" in outcome
    held = await stored(runtime)
    assert held.failures == 1
    assert held.retry_at is not None
    assert before + 30 <= held.retry_at <= now_epoch() + 30
    listed = (await api.get(TARGETS)).json()[0]
    assert (listed["status"], listed["failures"]) == ("failing", 1)
    assert listed["last_result"]["ok"] is False
    assert await tick(runtime) == []  # backing off, although a change waits
    assert not reconcile.due(held, cursor=10**9, now=held.retry_at - 1)
    assert reconcile.due(held, cursor=0, now=held.retry_at)

    assert service.retry_delay(failures=2, reconcile_minutes=10) == 60
    assert service.retry_delay(failures=5, reconcile_minutes=10) == 480
    assert service.retry_delay(failures=6, reconcile_minutes=10) == 600
    assert service.retry_delay(failures=60, reconcile_minutes=10_000) == 3600

    moved = await api.post(f"{TARGETS}/chat/update", {"base_url": target.base_url})
    assert moved.status_code == 200, moved.text
    async with transaction(runtime) as session:  # as if the back-off had ended
        found = await repository.target_by_name(session, "chat")
        assert found is not None
        found.retry_at = now_epoch() - 1
    assert await tick(runtime) == ["chat: ok"]
    assert set(await target.groups()) == {"Staff"}
    listed = (await api.get(TARGETS)).json()[0]
    assert (listed["status"], listed["failures"], listed["retry_at"]) == ("in_sync", 0, None)


async def test_one_process_at_a_time_holds_a_target(api: Api, runtime: Runtime) -> None:
    await register(api, "http://127.0.0.1:9", "k", reconcile_minutes=5)
    held = await stored(runtime)
    now = now_epoch()
    async with transaction(runtime) as session:
        assert await repository.claim(session, held.id, now=now, until=now + 60)
    async with transaction(runtime) as session:
        assert not await repository.claim(session, held.id, now=now, until=now + 60)
    leased = await stored(runtime)
    assert not reconcile.due(leased, cursor=10**9, now=now)
    assert await tick(runtime) == []
    async with transaction(runtime) as session:  # a lease that ended is taken over
        assert await repository.claim(session, held.id, now=now + 61, until=now + 120)
        await repository.release(session, held.id)
    assert (await stored(runtime)).lease_until is None


async def test_missing_users_are_created_only_when_the_target_says_so(
    api: Api, runtime: Runtime, target: Target
) -> None:
    known, newcomer = await api.user(), await api.user(name="New Comer")
    await target.user(known.email)
    staff = await api.group("Staff")
    await api.add(staff["id"], known.id, newcomer.id)

    await register(api, target.base_url, target.api_key)
    first = await api.post(f"{TARGETS}/chat/apply", {})
    assert first.status_code == 200, first.text
    assert first.json()["missing_users"] == 1
    assert first.json()["missing_user_emails"] == [newcomer.email]
    assert len((await target.groups())["Staff"]["user_ids"]) == 1

    changed = await api.post(f"{TARGETS}/chat/update", {"create_missing_users": True})
    assert changed.json()["create_missing_users"] is True
    second = await api.post(f"{TARGETS}/chat/apply", {})
    assert second.status_code == 200, second.text
    assert (second.json()["created_users"], second.json()["missing_users"]) == (1, 0)
    assert len((await target.groups())["Staff"]["user_ids"]) == 2
    users = await target.call("GET", "/api/v1/users/all")
    made = [u for u in users["users"] if u["email"] == newcomer.email]
    assert [(u["name"], u["role"]) for u in made] == [("New Comer", "user")]
    third = await api.post(f"{TARGETS}/chat/apply", {})
    assert (third.json()["created_users"], third.json()["done"]) == (0, {})


async def test_settings_change_and_are_audited_without_the_key(
    api: Api, runtime: Runtime, target: Target
) -> None:
    await register(api, target.base_url, "a-wrong-key", reconcile_minutes=5)
    refused = await api.post(f"{TARGETS}/chat/apply", {})
    assert refused.status_code == 502

    rekeyed = await api.post(
        f"{TARGETS}/chat/update", {"api_key": target.api_key, "reconcile_minutes": None}
    )
    assert rekeyed.status_code == 200, rekeyed.text
    assert rekeyed.json()["reconcile_minutes"] is None
    assert target.api_key not in rekeyed.text
    assert (await api.post(f"{TARGETS}/chat/apply", {})).status_code == 200
    assert (await api.get(TARGETS)).json()[0]["status"] == "manual"

    assert (await api.post(f"{TARGETS}/nope/update", {})).status_code == 404
    too_often = await api.post(f"{TARGETS}/chat/update", {"reconcile_minutes": 0})
    assert too_often.status_code == 422
    member = await api.user()
    assert (await api.post(f"{TARGETS}/chat/update", {}, member)).status_code == 403

    async with transaction(runtime) as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "owui_target.update")
            )
        ).all()
    assert [e.after["reconcile_minutes"] for e in events] == [None]
    assert events[0].after["api_key"] == "replaced"
    assert target.api_key not in str(events[0].after)


async def test_the_server_runs_the_loop(start_api: StartApi, target: Target) -> None:
    started = await start_api(owui_reconcile_tick_seconds=0.2)
    api = started.api
    await api.group("Staff")
    await register(api, target.base_url, target.api_key, reconcile_minutes=5)
    # Bounded: the loop looks five times a second; a minute is far more than it needs.
    for _ in range(300):
        if await target.groups():
            break
        await asyncio.sleep(0.2)
    assert set(await target.groups()) == {"Staff"}
