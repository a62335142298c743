"""Users' profile and status fields, as Open WebUI 0.12.4 has them.

``bio``, ``gender``, ``date_of_birth``, ``status_emoji``, ``status_message`` and
``status_expires_at``, all optional: clients that model Open WebUI's users read them, and
users edit them (``/auths/update/profile``, ``/users/user/status/update``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("bio", sa.Text()),
    ("gender", sa.Text()),
    ("date_of_birth", sa.Date()),
    ("status_emoji", sa.Text()),
    ("status_message", sa.Text()),
    ("status_expires_at", sa.BigInteger()),
)


def upgrade() -> None:
    # Plain ALTER TABLE (no batch copy): with foreign keys on, SQLite's copy-and-drop of "user"
    # would delete every membership.
    for name, kind in _COLUMNS:
        op.add_column("user", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _kind in reversed(_COLUMNS):
        op.drop_column("user", name)
