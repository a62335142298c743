"""Recording audit events inside the transaction that makes the change.

Services call ``record``; the events are written just before the commit, after the process
takes a database-wide lock (PostgreSQL advisory lock; SQLite writers are serialized anyway).
Event ids therefore grow in commit order: a reader that saw event *n* will never later see a
new event below *n*, which is what lets the change feed use the id as its cursor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.db import before_commit
from opengroups.models import AuditEvent

_ACTOR = "opengroups_audit_actor"
_EVENTS = "opengroups_audit_events"
_PG_AUDIT_LOCK = 0x61756469  # "audi"
FLUSH_ORDER = 10  # before the permission revision bump (order 20)


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user id (None for the system), their address and the request id."""

    user_id: str | None = None
    address: str | None = None
    request_id: str | None = None


def set_actor(session: AsyncSession, **fields: str | None) -> None:
    """Say who acts in this session (fields not given are kept)."""
    current: Actor = session.info.get(_ACTOR, Actor())
    session.info[_ACTOR] = replace(current, **fields)


def actor_of(session: AsyncSession) -> Actor:
    actor: Actor = session.info.get(_ACTOR, Actor())
    return actor


def record(
    session: AsyncSession,
    *,
    action: str,
    resource_type: str,
    resource_id: str,
    before: Any = None,
    after: Any = None,
    affected_user_ids: list[str] | None = None,
    affects_all_users: bool = False,
    actor_id: str | None = None,
) -> None:
    """Add an event to this transaction. It is written only if the transaction commits."""
    actor = actor_of(session)
    event = {
        "occurred_at": int(time.time() * 1000),
        "actor_id": actor_id or actor.user_id,
        "actor_address": actor.address,
        "request_id": actor.request_id,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "before": before,
        "after": after,
        "affected_user_ids": sorted(set(affected_user_ids)) if affected_user_ids else None,
        "affects_all_users": affects_all_users,
    }
    session.info.setdefault(_EVENTS, []).append(event)
    before_commit(session, _write_events, order=FLUSH_ORDER)


def mark(session: AsyncSession) -> int:
    """A point to come back to with ``discard_since`` (a rolled-back savepoint)."""
    return len(session.info.get(_EVENTS, []))


def discard_since(session: AsyncSession, point: int) -> None:
    del session.info.get(_EVENTS, [])[point:]


async def _write_events(session: AsyncSession) -> None:
    events = session.info.pop(_EVENTS, [])
    if not events:
        return
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    await session.execute(insert(AuditEvent), events)
