from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, new_id, now_epoch


class Group(Base):
    __tablename__ = "group"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    parent_group_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("group.id", ondelete="SET NULL"), index=True, default=None
    )
    user_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(255))
    # casefold(name): the case-insensitive identity of the group, unique on every database.
    name_key: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    meta: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    permissions: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)
    updated_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)
    # Incremented by every change of the row (memberships included, for groups): the ETag.
    revision: Mapped[int] = mapped_column(BigInteger, default=1, server_default="1")
    # Kept by database triggers on group_member (migration 0005), never written by the ORM:
    # the number of direct members, and a random number replaced by every change to them.
    # A loaded object's copies can be stale; read them with a query.
    member_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    members_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")

    # Provisioning (SCIM, ``scim/``): the identity provider's id of the group, and the
    # attributes of the SCIM resource that have no column (read back as written).
    external_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    scim: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    __table_args__ = (Index("ix_group_updated_at_id", "updated_at", "id"),)
