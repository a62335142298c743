"""Alembic environment: runs on a connection handed in by ``opengroups.kit.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from opengroups.models import Base

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when alembic's own CLI is used
    raise RuntimeError("Run migrations with 'opengroups db upgrade', not the alembic command.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
