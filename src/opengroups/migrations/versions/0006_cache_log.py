"""The cache revision's log, and grants that go with the principal they name.

``authz_change`` holds, for each cache revision, whose cached entries that change made stale
(a list of users, or everyone), so that each server process drops only those
(``caching/``). It is written in the transaction that bumps the revision.

Triggers delete the access grants naming a user or a group when that user or group is deleted,
whoever deletes it: the grant table's principal is polymorphic (a user, a group or ``*``), so a
foreign key cannot say it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

_SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER trg_user_delete_grants AFTER DELETE ON "user"
    BEGIN
        DELETE FROM access_grant WHERE principal_type = 'user' AND principal_id = OLD.id;
    END
    """,
    """
    CREATE TRIGGER trg_group_delete_grants AFTER DELETE ON "group"
    BEGIN
        DELETE FROM access_grant WHERE principal_type = 'group' AND principal_id = OLD.id;
    END
    """,
]
_PG_FUNCTIONS = [
    """
    CREATE FUNCTION delete_grants_of_principals() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- TG_ARGV[0] is the principal type the deleted rows are.
        DELETE FROM access_grant
        WHERE principal_type = TG_ARGV[0]
          AND principal_id IN (SELECT id FROM removed_rows);
        RETURN NULL;
    END
    $$
    """,
]
_PG_TRIGGERS = [
    """
    CREATE TRIGGER trg_user_delete_grants AFTER DELETE ON "user"
    REFERENCING OLD TABLE AS removed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION delete_grants_of_principals('user')
    """,
    """
    CREATE TRIGGER trg_group_delete_grants AFTER DELETE ON "group"
    REFERENCING OLD TABLE AS removed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION delete_grants_of_principals('group')
    """,
]
_TRIGGERS = {"trg_user_delete_grants": '"user"', "trg_group_delete_grants": '"group"'}


def upgrade() -> None:
    op.create_table(
        "authz_change",
        sa.Column("revision", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_ids", _JSON, nullable=True),
        sa.Column("everyone", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("revision", name=op.f("pk_authz_change")),
    )
    postgresql_database = op.get_bind().dialect.name == "postgresql"
    for statement in (_PG_FUNCTIONS + _PG_TRIGGERS) if postgresql_database else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    postgresql_database = op.get_bind().dialect.name == "postgresql"
    for name, table in _TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgresql_database else ""))
    if postgresql_database:
        op.execute("DROP FUNCTION delete_grants_of_principals()")
    op.drop_table("authz_change")
