"""Resources known to the grant store, with their owner.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_resource",
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(255), nullable=False),
        sa.Column("owner_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", name="pk_access_resource"),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name="fk_access_resource_owner_id_user", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_access_resource_owner_id", "access_resource", ["owner_id"])
    # Resources that already have grants are known, with no owner (admins and writers manage).
    op.execute(
        "INSERT INTO access_resource (resource_type, resource_id, owner_id, created_at) "
        "SELECT resource_type, resource_id, NULL, MIN(created_at) FROM access_grant "
        "GROUP BY resource_type, resource_id"
    )


def downgrade() -> None:
    op.drop_index("ix_access_resource_owner_id", table_name="access_resource")
    op.drop_table("access_resource")
