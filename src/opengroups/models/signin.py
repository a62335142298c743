from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opengroups.models.base import Base

# SQLite only auto-increments an INTEGER PRIMARY KEY.
_Id = BigInteger().with_variant(Integer(), "sqlite")


class SigninFailure(Base):
    """One failed sign-in, counted against the account and the address it came from
    (``auths/throttle.py``); rows older than the throttle's window are pruned."""

    __tablename__ = "signin_failure"

    id: Mapped[int] = mapped_column(_Id, primary_key=True, autoincrement=True)
    # "account:<e-mail>" or "address:<client address>"
    key: Mapped[str] = mapped_column(String(400))
    occurred_at: Mapped[int] = mapped_column(BigInteger)  # epoch milliseconds

    __table_args__ = (Index("ix_signin_failure_key_occurred_at", "key", "occurred_at"),)
