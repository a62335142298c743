from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base


class AuthzState(Base):
    """One row whose ``revision`` is bumped, in the same transaction, by every change that can
    alter anyone's effective permissions. Each process caches effective permissions under the
    revision it read, so a cache entry is used only while nothing changed, in any process."""

    __tablename__ = "authz_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)
