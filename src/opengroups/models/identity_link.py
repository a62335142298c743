from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, now_epoch


class IdentityLink(Base):
    """An account as an identity provider knows it: the provider (``oauth:<name>``, ``ldap``,
    ``header``) and its subject (OIDC ``sub``, an LDAP entry's DN, an e-mail). A sign-in finds
    the account by this link first. ``created_account``: the provider's sync or sign-in made
    the account (only then may a directory sync delete it)."""

    __tablename__ = "identity_link"

    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(512), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    created_account: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)
    last_seen_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)


class IdentityGroupLink(Base):
    """A group as an identity provider knows it (an LDAP group's DN, a claim value): which
    group it syncs into, and whether the provider created that group (only then may a
    directory sync delete it)."""

    __tablename__ = "identity_group_link"

    provider: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(36), ForeignKey("group.id", ondelete="CASCADE"))
    created_group: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)

    __table_args__ = (Index("ix_identity_group_link_group_id", "group_id"),)
