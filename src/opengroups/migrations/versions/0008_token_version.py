"""Revocable sessions: each user's token version.

Every token and admin session carries the version of its user at issue; raising
``user.token_version`` (sign-out, a new password, a new role) ends every one issued before.
Tokens issued before this migration carry none and count as version 0, so they keep working
until the user's first such change.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): with foreign keys on, SQLite's copy-and-drop of "user"
    # would delete every membership.
    op.add_column(
        "user", sa.Column("token_version", sa.BigInteger(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    op.drop_column("user", "token_version")
