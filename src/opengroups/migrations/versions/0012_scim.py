"""Provisioning through SCIM: provisioning clients, and what SCIM resources carry.

Users gain ``user_name`` (SCIM's userName where it is not the e-mail) with its lower-cased
``user_name_key`` (unique), ``external_id``, ``active`` and ``scim`` (the resource's other
attributes); groups gain ``external_id`` and ``scim``. ``scim_client`` holds the provisioning
clients. A membership's source widens to 64 characters, for ``scim:<client id>``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): with foreign keys on, SQLite's copy-and-drop of "user"
    # would delete every membership.
    op.add_column("user", sa.Column("user_name", sa.String(320), nullable=True))
    op.add_column("user", sa.Column("external_id", sa.String(255), nullable=True))
    op.add_column(
        "user", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("user", sa.Column("scim", JSON, nullable=True))
    op.add_column("user", sa.Column("user_name_key", sa.String(320), nullable=True))
    op.create_index("uq_user_user_name_key", "user", ["user_name_key"], unique=True)
    op.create_index("ix_user_external_id", "user", ["external_id"])
    op.add_column("group", sa.Column("external_id", sa.String(255), nullable=True))
    op.add_column("group", sa.Column("scim", JSON, nullable=True))
    op.create_index("ix_group_external_id", "group", ["external_id"])
    op.create_table(
        "scim_client",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_used_at", sa.BigInteger(), nullable=True),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
            name="fk_scim_client_created_by_user",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scim_client"),
        sa.UniqueConstraint("token_hash", name="uq_scim_client_token_hash"),
    )
    # On SQLite, a copy of the table (nothing references it, so nothing cascades).
    with op.batch_alter_table("group_member_source") as batch:
        batch.alter_column("source", type_=sa.String(64), existing_nullable=False)


def downgrade() -> None:
    op.execute("DELETE FROM group_member_source WHERE length(source) > 16")
    with op.batch_alter_table("group_member_source") as batch:
        batch.alter_column("source", type_=sa.String(16), existing_nullable=False)
    op.drop_table("scim_client")
    op.drop_index("ix_group_external_id", "group")
    op.drop_column("group", "scim")
    op.drop_column("group", "external_id")
    op.drop_index("ix_user_external_id", "user")
    op.drop_index("uq_user_user_name_key", "user")
    for name in ("scim", "active", "external_id", "user_name_key", "user_name"):
        op.drop_column("user", name)
