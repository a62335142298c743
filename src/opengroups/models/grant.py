from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, new_id, now_epoch

# The principal id of a grant to every signed-in user (``user``) or to anyone (``anyone``).
EVERYONE = "*"


class AccessGrant(Base):
    """Who may read or write one resource of another application (Open WebUI's access_grant).

    ``principal_type`` is ``user``, ``group`` or ``anyone``; ``principal_id`` a user id, a group
    id, or ``*`` (``user:*`` = every signed-in user, ``anyone:*`` = also anonymous readers).
    """

    __tablename__ = "access_grant"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    resource_type: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[str] = mapped_column(String(255))
    principal_type: Mapped[str] = mapped_column(String(16))
    principal_id: Mapped[str] = mapped_column(String(255))
    permission: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)

    __table_args__ = (
        UniqueConstraint(
            "resource_type",
            "resource_id",
            "principal_type",
            "principal_id",
            "permission",
            name="uq_access_grant_grant",
        ),
        Index("ix_access_grant_resource", "resource_type", "resource_id"),
        Index("ix_access_grant_principal", "principal_type", "principal_id", "resource_type"),
    )


class AccessResource(Base):
    """A resource whose grants opengroups keeps, and who owns it: the first user to write its
    grants (or none, once that user is deleted). Owners and admins manage a resource's grants
    even when no grant gives them ``write``; knowing the resource also stops anyone from
    claiming a resource an admin made private (no grant rows at all)."""

    __tablename__ = "access_resource"

    resource_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    resource_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("user.id", ondelete="SET NULL"), index=True, default=None
    )
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)
