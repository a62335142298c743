"""Access grants and the authorization revision counter.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_grant",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("resource_type", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(255), nullable=False),
        sa.Column("principal_type", sa.String(16), nullable=False),
        sa.Column("principal_id", sa.String(255), nullable=False),
        sa.Column("permission", sa.String(8), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_grant"),
        sa.UniqueConstraint(
            "resource_type",
            "resource_id",
            "principal_type",
            "principal_id",
            "permission",
            name="uq_access_grant_grant",
        ),
    )
    op.create_index("ix_access_grant_resource", "access_grant", ["resource_type", "resource_id"])
    op.create_index(
        "ix_access_grant_principal",
        "access_grant",
        ["principal_type", "principal_id", "resource_type"],
    )
    authz_state = op.create_table(
        "authz_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_authz_state"),
    )
    op.bulk_insert(authz_state, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("authz_state")
    op.drop_index("ix_access_grant_principal", table_name="access_grant")
    op.drop_index("ix_access_grant_resource", table_name="access_grant")
    op.drop_table("access_grant")
