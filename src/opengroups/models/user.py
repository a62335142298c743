from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, JsonType, new_id, now_epoch


class User(Base):
    __tablename__ = "user"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    # Stored lower-cased, so the unique constraint is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(16), index=True)
    password_hash: Mapped[str | None] = mapped_column(Text, default=None)
    api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    profile_image_url: Mapped[str] = mapped_column(Text, default="/user.png")
    last_active_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch, index=True)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)
    # Incremented by every change of the row (memberships included, for groups): the ETag.
    revision: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    # Carried by every token and admin session issued; raising it (sign-out, a new password, a
    # new role) ends every one issued before.
    token_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    # Open WebUI 0.12.4's profile and status fields: stored and answered as it does them.
    bio: Mapped[str | None] = mapped_column(Text, default=None)
    gender: Mapped[str | None] = mapped_column(Text, default=None)
    date_of_birth: Mapped[date | None] = mapped_column(Date, default=None)
    status_emoji: Mapped[str | None] = mapped_column(Text, default=None)
    status_message: Mapped[str | None] = mapped_column(Text, default=None)
    status_expires_at: Mapped[int | None] = mapped_column(BigInteger, default=None)

    # Provisioning (SCIM, ``scim/``). ``user_name`` is SCIM's userName where it differs from the
    # e-mail (none: the e-mail is the userName); ``user_name_key``, its lower-cased form, keeps
    # it unique case-insensitively on every database; ``active`` false
    # refuses every sign-in and token without deleting the account; ``scim`` keeps the
    # attributes of the SCIM resource that have no column, so they read back as written.
    user_name: Mapped[str | None] = mapped_column(String(320), default=None)
    user_name_key: Mapped[str | None] = mapped_column(String(320), default=None)
    external_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    scim: Mapped[Any] = mapped_column(JsonType, nullable=True, default=None)

    __table_args__ = (
        Index("ix_user_name_id", "name", "id"),
        # An index rather than a constraint: SQLite adds an index to a table without copying it.
        Index("uq_user_user_name_key", "user_name_key", unique=True),
    )
