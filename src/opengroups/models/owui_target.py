from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, new_id, now_epoch


class OwuiTarget(Base):
    """An Open WebUI instance whose groups opengroups runs (``connector/``). Its admin's API
    key is stored encrypted with a key derived from the instance secret, so a copy of the
    database alone does not reveal it. ``scope`` says which groups it manages:
    ``{"all": true}``, ``{"prefix": "..."}`` or ``{"groups": ["name", ...]}``."""

    __tablename__ = "owui_target"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    base_url: Mapped[str] = mapped_column(String(2048))
    api_key_encrypted: Mapped[str] = mapped_column(Text)
    scope: Mapped[dict[str, Any]]
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)
    last_apply_at: Mapped[int | None] = mapped_column(BigInteger, default=None)
    last_result: Mapped[dict[str, Any] | None] = mapped_column(default=None)
