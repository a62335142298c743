from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, JsonType

# SQLite only auto-increments an INTEGER PRIMARY KEY.
_EventId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEvent(Base):
    """One change, written in the transaction that made it (append-only).

    ``id`` orders events in commit order (see ``audit/recorder.py``), so it doubles as the
    cursor of the change feed.
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(_EventId, primary_key=True, autoincrement=True)
    occurred_at: Mapped[int] = mapped_column(BigInteger)  # epoch milliseconds
    actor_id: Mapped[str | None] = mapped_column(String(64), default=None)
    actor_address: Mapped[str | None] = mapped_column(String(64), default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(255))
    before: Mapped[Any] = mapped_column(JsonType, nullable=True, default=None)
    after: Mapped[Any] = mapped_column(JsonType, nullable=True, default=None)
    # Users whose effective permissions or group set this change may alter; or everyone.
    affected_user_ids: Mapped[Any] = mapped_column(JsonType, nullable=True, default=None)
    affects_all_users: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_audit_event_resource", "resource_type", "resource_id", "id"),
        Index("ix_audit_event_actor_id", "actor_id", "id"),
        Index("ix_audit_event_action", "action", "id"),
        Index("ix_audit_event_occurred_at", "occurred_at"),
    )
