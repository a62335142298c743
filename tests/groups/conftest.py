"""Helpers for the groups tests: rows edited behind the API's back, apps with custom settings,
and a check that a refused request wrote nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text, update

from opengroups.kit.db import Database
from opengroups.models import Group
from opengroups.users import service as users_service

GROUPS = "/api/v1/groups"

GROUP_RESPONSE_FIELDS = {
    "id",
    "parent_group_id",
    "user_id",
    "name",
    "description",
    "data",
    "meta",
    "permissions",
    "created_at",
    "updated_at",
    "member_count",
}


def group_path(group_id: str, suffix: str = "") -> str:
    return f"{GROUPS}/id/{group_id}{suffix}"


async def set_group_fields(database: Database, group_id: str, **values: Any) -> None:
    """Write columns of a group row directly (JSON values are bound by SQLAlchemy per dialect)."""
    async with database.session() as session:
        await session.execute(update(Group).where(Group.id == group_id).values(**values))


async def clear_group_data(database: Database, group_id: str) -> None:
    """Make ``data`` SQL NULL, so the group has no ``share`` at all."""
    async with database.session() as session:
        await session.execute(
            text('UPDATE "group" SET data = NULL WHERE id = :id'), {"id": group_id}
        )


async def insert_users(database: Database, count: int, prefix: str = "bulk") -> list[str]:
    """Create ``count`` password-less users through the users service (no HTTP, no argon2):
    for tests that need many user ids but no tokens."""
    async with database.session() as session:
        users = [
            await users_service.create_user(
                session,
                name=f"{prefix} {n:03}",
                email=f"{prefix}{n}@example.com",
                role="user",
                password_hash=None,
            )
            for n in range(count)
        ]
        return [user.id for user in users]


async def member_rows(database: Database, group_id: str) -> int:
    async with database.session(write=False) as session:
        result = await session.execute(
            text("SELECT count(*) FROM group_member WHERE group_id = :id"), {"id": group_id}
        )
        return int(result.scalar_one())
