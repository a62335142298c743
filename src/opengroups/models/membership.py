from __future__ import annotations

from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, now_epoch


class MembershipSource(StrEnum):
    """Why a user is in a group. A user stays a member while at least one source holds."""

    MANUAL = "manual"
    DEFAULT = "default"
    IMPORT = "import"
    # Stored as ``scim:<client id>``: each provisioning client holds its own memberships.
    SCIM = "scim"
    OAUTH = "oauth"
    LDAP = "ldap"
    HEADER = "header"


class GroupMember(Base):
    """A direct membership: one row per (group, user), whatever the number of sources."""

    __tablename__ = "group_member"

    group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("group.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)

    __table_args__ = (Index("ix_group_member_user_id_group_id", "user_id", "group_id"),)


class GroupMemberSource(Base):
    """One source holding a membership; deleting the membership deletes its sources."""

    __tablename__ = "group_member_source"

    group_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)

    __table_args__ = (
        ForeignKeyConstraint(
            ["group_id", "user_id"],
            ["group_member.group_id", "group_member.user_id"],
            ondelete="CASCADE",
            name="fk_group_member_source_group_member",
        ),
        Index("ix_group_member_source_user_id_source", "user_id", "source"),
    )
