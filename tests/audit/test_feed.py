"""The change feed: a consumer following it from cursor 0 can rebuild every user's groups."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from typing import Any

from sqlalchemy import select, update

from opengroups.audit import service as audit_service
from opengroups.kit.db import Database
from opengroups.models import AuditEvent, GroupMember
from tests.audit.conftest import CHANGES
from tests.conftest import Api


async def follow(api: Api, cursor: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Every change after ``cursor``, page by page, and the cursor to continue from."""
    changes: list[dict[str, Any]] = []
    while True:
        response = await api.get(CHANGES, cursor=cursor, limit=7)
        assert response.status_code == 200, response.text
        body = response.json()
        changes += body["changes"]
        if not body["changes"]:
            return changes, body["cursor"]
        cursor = body["cursor"]


def replay(changes: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Each user's direct groups, rebuilt from the feed alone."""
    groups: dict[str, set[str]] = defaultdict(set)
    for change in changes:
        action, resource = change["action"], change["resource_id"]
        if action == "group.members.add":
            for user_id in change["after"]["user_ids"]:
                groups[user_id].add(resource)
        elif action == "group.members.remove":
            for user_id in change["before"]["user_ids"]:
                groups[user_id].discard(resource)
        elif action == "group.delete":
            for user_id in change["before"]["member_ids"]:
                groups[user_id].discard(resource)
        elif action == "user.delete":
            groups.pop(resource, None)
    return {user: found for user, found in groups.items() if found}


async def actual(database: Database) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    async with database.session(write=False) as session:
        for group_id, user_id in await session.execute(
            select(GroupMember.group_id, GroupMember.user_id)
        ):
            groups[user_id].add(group_id)
    return dict(groups)


async def test_replaying_the_feed_rebuilds_every_users_groups(api: Api, database: Database) -> None:
    rng = random.Random(20261127)
    users = [await api.user() for _ in range(8)]
    groups = [await api.group(f"g{i}") for i in range(5)]
    group_ids = [g["id"] for g in groups]
    default_group = group_ids[0]
    assert (
        await api.post("/api/v1/auths/admin/config", {"DEFAULT_GROUP_ID": default_group})
    ).status_code == 200
    alive_users = [u.id for u in users]

    for step in range(60):
        choice = rng.random()
        if choice < 0.45 and alive_users and group_ids:
            gid = rng.choice(group_ids)
            await api.add(gid, *rng.sample(alive_users, rng.randint(1, 3)))
        elif choice < 0.75 and alive_users and group_ids:
            gid = rng.choice(group_ids)
            ids = rng.sample(alive_users, rng.randint(1, 3))
            response = await api.post(f"/api/v1/groups/id/{gid}/users/remove", {"user_ids": ids})
            assert response.status_code == 200
        elif choice < 0.82 and len(group_ids) > 2:
            gid = group_ids.pop(rng.randrange(1, len(group_ids)))
            assert (await api.delete(f"/api/v1/groups/id/{gid}/delete")).status_code == 200
        elif choice < 0.88 and len(alive_users) > 2:
            uid = alive_users.pop(rng.randrange(len(alive_users)))
            assert (await api.delete(f"/api/v1/users/{uid}")).status_code == 200
        elif choice < 0.94:
            newcomer = await api.user()  # joins the default group
            alive_users.append(newcomer.id)
        else:
            group = await api.group(f"extra{step}")
            group_ids.append(group["id"])

    changes, cursor = await follow(api)

    assert replay(changes) == await actual(database)
    assert [c["id"] for c in changes] == sorted(c["id"] for c in changes)
    assert cursor == changes[-1]["id"]
    more, same_cursor = await follow(api, cursor)
    assert more == []
    assert same_cursor == cursor


async def test_feed_names_the_users_whose_permissions_may_change(api: Api) -> None:
    parent = await api.group("Parent")
    child = await api.group("Child", parent_group_id=parent["id"])
    member = await api.user()
    await api.add(child["id"], member.id)
    _, cursor = await follow(api)

    response = await api.post(
        f"/api/v1/groups/id/{parent['id']}/update", {"permissions": {"chat": {"delete": True}}}
    )
    assert response.status_code == 200
    await api.post("/api/v1/users/default/permissions", {"chat": {"delete": False}})

    changes, _ = await follow(api, cursor)
    assert [c["action"] for c in changes] == ["group.update", "permissions.defaults.update"]
    assert changes[0]["affected_user_ids"] == [member.id]  # a member of a child group
    assert changes[1]["affects_all_users"] is True


async def test_long_poll_returns_as_soon_as_a_change_commits(api: Api) -> None:
    await api.admin()
    _, cursor = await follow(api)

    async def waiter() -> dict[str, Any]:
        response = await api.get(CHANGES, cursor=cursor, wait=30)
        body: dict[str, Any] = response.json()
        return body

    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0)  # let the waiter start before the change
    group = await api.group("Arrives while waiting")
    body = await waiting

    assert [c["resource_id"] for c in body["changes"]] == [group["id"]]
    assert (await api.get(CHANGES, cursor=body["cursor"])).json()["changes"] == []


async def test_a_cursor_behind_the_retention_window_is_410(api: Api, database: Database) -> None:
    for index in range(3):
        await api.group(f"old {index}")
    async with database.session() as session:
        await session.execute(update(AuditEvent).values(occurred_at=1000))  # long ago
    await api.group("recent")
    async with database.session() as session:
        pruned = await audit_service.prune(session, retention_days=30)
        oldest = (await session.execute(select(AuditEvent.id).order_by(AuditEvent.id))).scalars()
        remaining = list(oldest)
    assert pruned >= 3
    assert len(remaining) == 1  # the newest event always stays

    response = await api.get(CHANGES, cursor=1)

    assert response.status_code == 410
    assert "rebuild" in response.json()["detail"]
    assert (await api.get(CHANGES, cursor=remaining[0] - 1)).status_code == 200
