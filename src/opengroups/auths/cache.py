"""Per-process caches that let authentication skip the database on most requests.

* Verified JWTs: a token's signature and claims never change, so a token that verified once
  is kept (bounded LRU) with its expiry, which is still checked on every use.
* Users by id and API-key hashes by key: exact for one authorization revision
  (``authz.cache.RevisionCache``). Every change of a user row (role, e-mail, API key, ...) and
  every deletion bumps the revision, so a cached user is never older than the last
  acknowledged change.

A cached user is handed to the request as a fresh *detached* ORM instance: attaching it to the
request's session would cost a transaction begin and commit on requests that need no database.
Routes read the caller; a route that changes the caller's row loads it for update first
(``users.service.lock_user``), as it must anyway to see concurrent changes.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached

from opengroups.authz import revision as revisions
from opengroups.authz.cache import RevisionCache
from opengroups.models import User
from opengroups.users import repository as users_repository

_MAPPER = inspect(User)
_USER_COLUMNS = tuple(column.key for column in _MAPPER.column_attrs)


class TokenCache:
    """``token -> (user id, expiry)`` for tokens that verified, least recently used first out."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[str, int]] = OrderedDict()

    def get(self, token: str) -> str | None:
        """The user id of a cached token that has not expired yet."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        user_id, expires_at = entry
        if time.time() >= expires_at:
            del self._entries[token]
            return None
        self._entries.move_to_end(token)
        return user_id

    def put(self, token: str, user_id: str, expires_at: int) -> None:
        self._entries[token] = (user_id, expires_at)
        self._entries.move_to_end(token)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


class AuthCache:
    """Everything authentication caches in one process."""

    def __init__(self, max_users: int = 100_000) -> None:
        self.tokens = TokenCache()
        self.users: RevisionCache[str, dict[str, Any]] = RevisionCache(max_users)
        self.api_keys: RevisionCache[str, str] = RevisionCache(max_users)


def snapshot(user: User) -> dict[str, Any]:
    """The user's column values, to rebuild it later with ``attach``."""
    return {key: getattr(user, key) for key in _USER_COLUMNS}


def detached(values: dict[str, Any]) -> User:
    """A user rebuilt from ``snapshot`` values: a fresh, detached instance (in no session), as
    if loaded and then let go. Each request gets its own copy."""
    user: User = _MAPPER.class_manager.new_instance()
    user.__dict__.update(values)  # loaded values, as a query sets them: no change history
    make_transient_to_detached(user)
    return user


async def users_by_ids(
    session: AsyncSession, cache: AuthCache, user_ids: Sequence[str]
) -> dict[str, User]:
    """The users that exist among ``user_ids``, as detached copies, from ``cache`` when still
    exact and with one query for the rest (which are cached on the way)."""
    observed = await revisions.observed_revision(session)
    found: dict[str, User] = {}
    missing: list[str] = []
    for user_id in user_ids:
        values = cache.users.get(user_id, observed)
        if values is None:
            missing.append(user_id)
        else:
            found[user_id] = detached(values)
    if missing:
        revision = await revisions.revision_for_caching(session, observed)
        for user in await users_repository.users_by_ids(session, missing):
            values = snapshot(user)
            cache.users.put(user.id, revision, values)
            found[user.id] = detached(values)
    return found
