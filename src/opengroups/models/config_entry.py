from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, JsonType, now_epoch


class ConfigEntry(Base):
    """Admin-editable configuration, one row per key (as Open WebUI's per-key config rows)."""

    __tablename__ = "config"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JsonType, nullable=True)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch, onupdate=now_epoch)
