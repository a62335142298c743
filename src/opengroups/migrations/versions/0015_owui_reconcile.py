"""Open WebUI targets: the reconcile loop's settings and status, and the opt-in creation of
missing users (``connector/reconcile.py``).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("owui_target") as batch:
        batch.add_column(
            sa.Column(
                "create_missing_users", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("reconcile_minutes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reconciled_change", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("failures", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch.add_column(sa.Column("retry_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("owui_target") as batch:
        for column in (
            "lease_until",
            "retry_at",
            "failures",
            "reconciled_change",
            "reconcile_minutes",
            "create_missing_users",
        ):
            batch.drop_column(column)
