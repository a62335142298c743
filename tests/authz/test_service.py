"""The authorization service on a session: effective permissions are cached per user and shared
between users with the same keys; checks follow the one standing rule (pending: nothing; admins:
everything while the bypass is on)."""

from __future__ import annotations

import json

from opengroups.authz import service as authz_service
from opengroups.authz.schemas import PermissionCheck
from opengroups.bootstrap import Runtime
from opengroups.permissions import Authz
from opengroups.users import service as users
from tests.conftest import transaction

KEY = "workspace.models"  # off by default


async def _users(runtime: Runtime) -> dict[str, str]:
    async with transaction(runtime) as session:
        return {
            role: (
                await users.create_user(
                    session, name=role, email=f"{role}@example.com", role=role, password_hash=None
                )
            ).id
            for role in ("admin", "user", "pending")
        }


async def test_users_with_the_same_permissions_share_one_cached_value(runtime: Runtime) -> None:
    ids = await _users(runtime)

    async with transaction(runtime) as session:
        first = await authz_service.effective_permissions(
            session, runtime.authz, runtime.caches, user_id=ids["user"]
        )
        second = await authz_service.effective_permissions(
            session, runtime.authz, runtime.caches, user_id=ids["pending"]
        )

    assert second is first
    assert runtime.caches.permissions.get(ids["user"]) is first
    assert json.loads(first.tree_json) == first.tree
    assert first.tree["chat"]["delete"] is True


async def _check(runtime: Runtime, authz: Authz, ids: dict[str, str]) -> dict[str, bool]:
    checks = [PermissionCheck(user_id=user_id, key=KEY) for user_id in ids.values()]
    async with transaction(runtime) as session:
        results = await authz_service.check_permissions(
            session, authz, runtime.caches, checks=checks
        )
    by_id = {result.user_id: result.allowed for result in results}
    return {role: by_id[user_id] for role, user_id in ids.items()}


async def test_checks_follow_the_standing_rule(runtime: Runtime) -> None:
    ids = await _users(runtime)

    with_bypass = await _check(runtime, runtime.authz, ids)
    without = await _check(runtime, Authz(catalog=runtime.authz.catalog, admin_bypass=False), ids)

    assert with_bypass == {"admin": True, "user": False, "pending": False}
    assert without == {"admin": False, "user": False, "pending": False}
