"""Helpers for the users tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from opengroups.kit.db import Database
from opengroups.models import User, new_id

USERS = "/api/v1/users"


async def insert_users(
    database: Database,
    names: list[str],
    *,
    created_at: int = 1000,
    role: str = "user",
    ids: list[str] | None = None,
) -> list[str]:
    """Insert users directly (no password hashing, so many are cheap), ``created_at`` rising in
    list order; returns their ids."""
    ids = ids or [new_id() for _ in names]
    async with database.session() as session:
        session.add_all(
            User(
                id=user_id,
                name=name,
                email=f"{name.lower().replace(' ', '.')}@example.com",
                role=role,
                profile_image_url="/user.png",
                last_active_at=created_at + n,
                created_at=created_at + n,
                updated_at=created_at + n,
            )
            for n, (user_id, name) in enumerate(zip(ids, names, strict=True))
        )
    return ids


async def rows(database: Database, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with database.session(write=False) as session:
        return [tuple(row) for row in await session.execute(text(sql), params)]
