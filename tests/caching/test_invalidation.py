"""Targeted invalidation, between two app instances on one database (two processes, in
production): a change drops the cached entries of the users it affects, in the other instance
too, and keeps everyone else's.

To tell a kept entry from a recomputed one, a group's permissions are changed behind the
services' back (straight SQL: no revision, nothing logged): only a recomputation notices."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from opengroups.app import runtime_of
from opengroups.caching import revision as revisions
from opengroups.kit.db import Database
from opengroups.models import AuthzState, Group
from tests.authz.conftest import DEFAULTS, has
from tests.conftest import Account, Api, AppFactory

MODELS = "workspace.models"


@pytest.fixture
async def two_apps(app_factory: AppFactory) -> AsyncIterator[tuple[Api, Api, Database]]:
    first, second = await app_factory(), await app_factory()

    def client(app: FastAPI) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    async with client(first) as a, client(second) as b:
        api_a, api_b = Api(a), Api(b)
        api_b._admin = await api_a.admin()
        yield api_a, api_b, runtime_of(first).database


async def unlogged_permissions(database: Database, group_id: str, tree: dict[str, object]) -> None:
    """Change a group's permissions with no revision and nothing logged."""
    async with database.session() as session:
        await session.execute(update(Group).where(Group.id == group_id).values(permissions=tree))


async def test_a_group_change_drops_its_members_below_and_keeps_the_others(
    two_apps: tuple[Api, Api, Database],
) -> None:
    a, b, database = two_apps
    parent = await a.group("Parent")
    child = await a.group("Child", parent_group_id=parent["id"])
    modelers = await a.group("Modelers", permissions={"workspace": {"models": True}})
    below, outsider = await a.user(), await a.user()
    await a.add(child["id"], below.id)
    await a.add(modelers["id"], outsider.id)
    assert await has(b, below, "features.api_keys") is False  # cached in B
    assert await has(b, outsider, MODELS) is True  # cached in B

    await unlogged_permissions(database, modelers["id"], {})
    response = await a.post(
        f"/api/v1/groups/id/{parent['id']}/update",
        {"permissions": {"features": {"api_keys": True}}},
    )
    assert response.status_code == 200, response.text

    assert await has(b, below, "features.api_keys") is True  # an effective member: fresh
    assert await has(b, outsider, MODELS) is True  # not a member: kept


async def test_a_change_of_the_defaults_drops_everyone(
    two_apps: tuple[Api, Api, Database],
) -> None:
    a, b, database = two_apps
    modelers = await a.group("Modelers", permissions={"workspace": {"models": True}})
    user = await a.user()
    await a.add(modelers["id"], user.id)
    assert await has(b, user, MODELS) is True

    await unlogged_permissions(database, modelers["id"], {})
    response = await a.post(DEFAULTS, {"chat": {"delete": False}})
    assert response.status_code == 200, response.text

    assert await has(b, user, "chat.delete") is False
    assert await has(b, user, MODELS) is False  # recomputed


async def test_a_user_change_drops_that_user_only(two_apps: tuple[Api, Api, Database]) -> None:
    a, b, database = two_apps
    modelers = await a.group("Modelers", permissions={"workspace": {"models": True}})
    renamed, other = await a.user(), await a.user()
    await a.add(modelers["id"], renamed.id, other.id)
    assert await has(b, renamed, MODELS) is True
    assert await has(b, other, MODELS) is True

    await unlogged_permissions(database, modelers["id"], {})
    response = await a.post(f"/api/v1/users/{renamed.id}/update", {"name": "Renamed"})
    assert response.status_code == 200, response.text

    assert (await b.get("/api/v1/auths/", renamed)).json()["name"] == "Renamed"
    assert await has(b, renamed, MODELS) is False  # recomputed
    assert await has(b, other, MODELS) is True  # kept


async def test_a_revision_the_log_does_not_explain_drops_everything(
    two_apps: tuple[Api, Api, Database],
) -> None:
    # Something bumped the revision without logging what it changed (an older tool, a restored
    # backup): nothing cached can be trusted.
    a, b, database = two_apps
    modelers = await a.group("Modelers", permissions={"workspace": {"models": True}})
    user: Account = await a.user()
    await a.add(modelers["id"], user.id)
    assert await has(b, user, MODELS) is True

    await unlogged_permissions(database, modelers["id"], {})
    async with database.session() as session:
        await session.execute(update(AuthzState).values(revision=AuthzState.revision + 1))
    hint = database.revision_hint
    if hint is not None:  # publish it, as the reconcile would within a second
        async with database.session(write=False) as session:
            hint.publish(await revisions.current_revision(session))

    assert await has(b, user, MODELS) is False
