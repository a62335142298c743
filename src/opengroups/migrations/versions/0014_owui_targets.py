"""Open WebUI targets: the instances whose groups opengroups runs (``connector/``).

``owui_target`` holds each target's name, base URL, its admin's API key (encrypted with a key
derived from the instance secret), which groups it manages, and the outcome of its last apply.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "owui_target",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("base_url", sa.String(2048), nullable=False),
        sa.Column("api_key_encrypted", sa.Text(), nullable=False),
        sa.Column("scope", JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_apply_at", sa.BigInteger(), nullable=True),
        sa.Column("last_result", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_owui_target"),
        sa.UniqueConstraint("name", name="uq_owui_target_name"),
    )


def downgrade() -> None:
    op.drop_table("owui_target")
