"""Identity providers' links to accounts and groups.

``identity_link``: an account as a provider knows it (provider, subject), so a sign-in finds it
by the provider's subject; ``identity_group_link``: a group as a provider knows it. Each says
whether the provider created the row it points at (a directory sync deletes only those).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_link",
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(512), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("created_account", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_identity_link_user_id_user", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("provider", "subject", name="pk_identity_link"),
    )
    op.create_index("ix_identity_link_user_id", "identity_link", ["user_id"])
    op.create_table(
        "identity_group_link",
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("group_id", sa.String(36), nullable=False),
        sa.Column("created_group", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["group.id"],
            name="fk_identity_group_link_group_id_group",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("provider", "key", name="pk_identity_group_link"),
    )
    op.create_index("ix_identity_group_link_group_id", "identity_group_link", ["group_id"])


def downgrade() -> None:
    op.drop_index("ix_identity_group_link_group_id", "identity_group_link")
    op.drop_table("identity_group_link")
    op.drop_index("ix_identity_link_user_id", "identity_link")
    op.drop_table("identity_link")
