from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, JsonType, now_epoch


class AuthzState(Base):
    """One row whose ``revision`` is bumped by every committed change that can make a cached
    answer stale (someone's effective permissions, or what authentication returns for them).
    Each process files cache entries under the revision they were computed at
    (``caching/``)."""

    __tablename__ = "authz_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class AuthzChange(Base):
    """What the change that made ``revision`` invalidates: these users' cached entries, or
    everyone's. One row per revision, written in the same transaction as the bump; the newest
    rows are kept so that each process can catch up on what it missed (``caching/``)."""

    __tablename__ = "authz_change"

    revision: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_ids: Mapped[Any] = mapped_column(JsonType, nullable=True, default=None)
    everyone: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)
