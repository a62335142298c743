"""Failed sign-ins, for throttling.

Each failed sign-in is one row per key it counts against (the account's e-mail and the client
address); the throttle counts the rows of a key inside its window, and old rows are pruned.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signin_failure",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("occurred_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_failure")),
    )
    op.create_index("ix_signin_failure_key_occurred_at", "signin_failure", ["key", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_signin_failure_key_occurred_at", table_name="signin_failure")
    op.drop_table("signin_failure")
