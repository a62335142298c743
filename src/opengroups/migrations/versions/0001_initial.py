"""Users, groups with hierarchy, memberships with sources, config rows.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "user",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("api_key_hash", sa.String(64), nullable=True),
        sa.Column("profile_image_url", sa.Text(), nullable=False),
        sa.Column("last_active_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user"),
        sa.UniqueConstraint("email", name="uq_user_email"),
        sa.UniqueConstraint("api_key_hash", name="uq_user_api_key_hash"),
    )
    op.create_index("ix_user_role", "user", ["role"])
    op.create_index("ix_user_created_at", "user", ["created_at"])
    op.create_index("ix_user_name_id", "user", ["name", "id"])

    op.create_table(
        "group",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("parent_group_id", sa.String(36), nullable=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("name_key", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("data", JSON, nullable=True),
        sa.Column("meta", JSON, nullable=True),
        sa.Column("permissions", JSON, nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_group"),
        sa.UniqueConstraint("name_key", name="uq_group_name_key"),
        sa.ForeignKeyConstraint(
            ["parent_group_id"],
            ["group.id"],
            name="fk_group_parent_group_id_group",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_group_parent_group_id", "group", ["parent_group_id"])
    op.create_index("ix_group_updated_at_id", "group", ["updated_at", "id"])

    op.create_table(
        "group_member",
        sa.Column("group_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "user_id", name="pk_group_member"),
        sa.ForeignKeyConstraint(
            ["group_id"], ["group.id"], name="fk_group_member_group_id_group", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_group_member_user_id_user", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_group_member_user_id_group_id", "group_member", ["user_id", "group_id"])

    op.create_table(
        "group_member_source",
        sa.Column("group_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "user_id", "source", name="pk_group_member_source"),
        sa.ForeignKeyConstraint(
            ["group_id", "user_id"],
            ["group_member.group_id", "group_member.user_id"],
            name="fk_group_member_source_group_member",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_group_member_source_user_id_source", "group_member_source", ["user_id", "source"]
    )

    op.create_table(
        "config",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", JSON, nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_config"),
    )


def downgrade() -> None:
    op.drop_table("config")
    op.drop_index("ix_group_member_source_user_id_source", table_name="group_member_source")
    op.drop_table("group_member_source")
    op.drop_index("ix_group_member_user_id_group_id", table_name="group_member")
    op.drop_table("group_member")
    op.drop_index("ix_group_updated_at_id", table_name="group")
    op.drop_index("ix_group_parent_group_id", table_name="group")
    op.drop_table("group")
    op.drop_index("ix_user_name_id", table_name="user")
    op.drop_index("ix_user_created_at", table_name="user")
    op.drop_index("ix_user_role", table_name="user")
    op.drop_table("user")
