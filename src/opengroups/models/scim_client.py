from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base, new_id, now_epoch


class ScimClient(Base):
    """A provisioning client (an identity provider speaking SCIM): its bearer token is shown
    once and stored as a SHA-256 hash; a revoked client's token is refused. The memberships it
    provisions have the source ``scim:<id>``, so it only ever removes its own."""

    __tablename__ = "scim_client"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(255))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("user.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[int] = mapped_column(BigInteger, default=now_epoch)
    last_used_at: Mapped[int | None] = mapped_column(BigInteger, default=None)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger, default=None)
