"""Users served from the process's caches (``caching.Caches.users``), exact as of every change
committed before the request began.

A cached user is handed out as a fresh *detached* ORM instance: attaching it to the request's
session would cost a transaction begin and commit on requests that need no database. Callers
read it; one that changes the user's row loads it for update first (``service.lock_user``), as
it must anyway to see concurrent changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from opengroups.caching import Caches
from opengroups.models import User
from opengroups.users import repository

_MAPPER = inspect(User)
_USER_COLUMNS = tuple(column.key for column in _MAPPER.column_attrs)


def row_values(user: User) -> dict[str, Any]:
    """The user's column values, to rebuild it later with ``detached``."""
    return {key: getattr(user, key) for key in _USER_COLUMNS}


def detached(values: dict[str, Any]) -> User:
    """A user rebuilt from ``row_values``: a fresh, detached instance (in no session), as if
    loaded and then let go. Each request gets its own copy."""
    user: User = _MAPPER.class_manager.new_instance()
    user.__dict__.update(values)  # loaded values, as a query sets them: no change history
    make_transient_to_detached(user)
    return user


def remember(caches: Caches, user: User, computed_at: int) -> User:
    """File a user read at ``computed_at`` (``Caches.filing_revision``); returns a copy."""
    values = row_values(user)
    caches.put_user(user.id, computed_at, values)
    return detached(values)


async def cached_user(session: AsyncSession, caches: Caches, user_id: str) -> User | None:
    """The user, from the cache when exact, else read (and cached); None when there is none
    (which is never cached: the user may be created later)."""
    await caches.observe(session)
    values = caches.users.get(user_id)
    if values is not None:
        return detached(values)
    computed_at = await caches.filing_revision(session)
    user = await repository.get_user(session, user_id)
    return None if user is None else remember(caches, user, computed_at)


async def cached_users(
    session: AsyncSession, caches: Caches, user_ids: Sequence[str]
) -> dict[str, User]:
    """The users that exist among ``user_ids``, from the cache when exact and with one query
    for the rest (which are cached on the way)."""
    await caches.observe(session)
    found: dict[str, User] = {}
    missing: list[str] = []
    for user_id in user_ids:
        values = caches.users.get(user_id)
        if values is None:
            missing.append(user_id)
        else:
            found[user_id] = detached(values)
    if missing:
        computed_at = await caches.filing_revision(session)
        for user in await repository.users_by_ids(session, missing):
            found[user.id] = remember(caches, user, computed_at)
    return found
