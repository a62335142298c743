from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Date, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, new_id, now_epoch


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

    __table_args__ = (Index("ix_user_name_id", "name", "id"),)
