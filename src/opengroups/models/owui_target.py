from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, false, text
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
    # Whether applies create the target's missing users (``/api/v1/auths/add``).
    create_missing_users: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # The reconcile loop (``connector/reconcile.py``): minutes between applies, None when the
    # target is applied by hand only; the change feed's cursor its last good apply covered;
    # failed applies in a row, the earliest retry (back-off) and the lease of the process
    # applying it now (epoch seconds).
    reconcile_minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    reconciled_change: Mapped[int | None] = mapped_column(BigInteger, default=None)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    retry_at: Mapped[int | None] = mapped_column(BigInteger, default=None)
    lease_until: Mapped[int | None] = mapped_column(BigInteger, default=None)
