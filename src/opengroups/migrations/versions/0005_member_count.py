"""Each group's direct member count and membership version, kept by triggers.

``group.member_count`` is the number of ``group_member`` rows of the group, so listing groups
with their counts reads a column instead of counting up to 50,000 rows per group.
``group.members_version`` is set to a fresh random number by every change to the group's
direct members, so that a computed fact about a subtree's members (its effective member count)
can be cached under the versions it was computed from and never be served stale.

Triggers keep both in the transaction that changes ``group_member``, whoever writes it: the
membership repository, the foreign-key cascades of a deleted user or group, a bulk load. On
PostgreSQL they are statement-level (one update per group and statement, groups locked in id
order); on SQLite, row-level.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# A new version is random: 64 bits on SQLite, 53 on PostgreSQL (whose random() is a double).
_SQLITE_TRIGGERS = [
    """
    CREATE TRIGGER trg_group_member_insert_count AFTER INSERT ON group_member
    BEGIN
        UPDATE "group" SET member_count = member_count + 1, members_version = random()
        WHERE id = NEW.group_id;
    END
    """,
    """
    CREATE TRIGGER trg_group_member_delete_count AFTER DELETE ON group_member
    BEGIN
        UPDATE "group" SET member_count = member_count - 1, members_version = random()
        WHERE id = OLD.group_id;
    END
    """,
    """
    CREATE TRIGGER trg_group_member_update_count AFTER UPDATE OF group_id ON group_member
    WHEN NEW.group_id IS NOT OLD.group_id
    BEGIN
        UPDATE "group" SET member_count = member_count - 1, members_version = random()
        WHERE id = OLD.group_id;
        UPDATE "group" SET member_count = member_count + 1, members_version = random()
        WHERE id = NEW.group_id;
    END
    """,
]
_SQLITE_TRIGGER_NAMES = [
    "trg_group_member_insert_count",
    "trg_group_member_delete_count",
    "trg_group_member_update_count",
]

_PG_FUNCTIONS = [
    """
    CREATE FUNCTION group_member_count_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        changed record;
    BEGIN
        -- One update per group, in id order, so that two statements lock groups in the same
        -- order; only the transition table of the event exists, hence the branches.
        IF TG_OP = 'INSERT' THEN
            FOR changed IN
                SELECT group_id, count(*) AS delta FROM added_rows GROUP BY group_id
                ORDER BY group_id
            LOOP
                UPDATE "group" SET member_count = member_count + changed.delta,
                    members_version = floor(random() * 9007199254740991)::bigint
                WHERE id = changed.group_id;
            END LOOP;
        ELSIF TG_OP = 'DELETE' THEN
            FOR changed IN
                SELECT group_id, count(*) AS delta FROM removed_rows GROUP BY group_id
                ORDER BY group_id
            LOOP
                UPDATE "group" SET member_count = member_count - changed.delta,
                    members_version = floor(random() * 9007199254740991)::bigint
                WHERE id = changed.group_id;
            END LOOP;
        ELSE
            FOR changed IN
                SELECT group_id, sum(delta) AS delta FROM (
                    SELECT group_id, 1 AS delta FROM added_rows
                    UNION ALL
                    SELECT group_id, -1 AS delta FROM removed_rows
                ) AS moves
                GROUP BY group_id HAVING sum(delta) <> 0 ORDER BY group_id
            LOOP
                UPDATE "group" SET member_count = member_count + changed.delta,
                    members_version = floor(random() * 9007199254740991)::bigint
                WHERE id = changed.group_id;
            END LOOP;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION group_member_count_reset() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE "group"
        SET member_count = 0, members_version = floor(random() * 9007199254740991)::bigint
        WHERE member_count <> 0;
        RETURN NULL;
    END
    $$
    """,
]
_PG_TRIGGERS = [
    """
    CREATE TRIGGER trg_group_member_insert_count AFTER INSERT ON group_member
    REFERENCING NEW TABLE AS added_rows
    FOR EACH STATEMENT EXECUTE FUNCTION group_member_count_sync()
    """,
    """
    CREATE TRIGGER trg_group_member_delete_count AFTER DELETE ON group_member
    REFERENCING OLD TABLE AS removed_rows
    FOR EACH STATEMENT EXECUTE FUNCTION group_member_count_sync()
    """,
    """
    CREATE TRIGGER trg_group_member_update_count AFTER UPDATE ON group_member
    REFERENCING OLD TABLE AS removed_rows NEW TABLE AS added_rows
    FOR EACH STATEMENT EXECUTE FUNCTION group_member_count_sync()
    """,
    """
    CREATE TRIGGER trg_group_member_truncate_count AFTER TRUNCATE ON group_member
    FOR EACH STATEMENT EXECUTE FUNCTION group_member_count_reset()
    """,
]
_PG_TRIGGER_NAMES = [
    "trg_group_member_insert_count",
    "trg_group_member_delete_count",
    "trg_group_member_update_count",
    "trg_group_member_truncate_count",
]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    # Plain ALTER TABLE, not batch mode: on SQLite a batch copies the table and drops the old
    # one, and with foreign keys on, dropping "group" would delete every membership.
    op.add_column(
        "group", sa.Column("member_count", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column(
        "group",
        sa.Column("members_version", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute(
        'UPDATE "group" SET member_count = '
        '(SELECT count(*) FROM group_member WHERE group_member.group_id = "group".id)'
    )
    if postgresql:
        op.execute(
            'UPDATE "group" SET members_version = floor(random() * 9007199254740991)::bigint'
        )
    else:
        op.execute('UPDATE "group" SET members_version = random()')
    for statement in (_PG_FUNCTIONS + _PG_TRIGGERS) if postgresql else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name in _PG_TRIGGER_NAMES if postgresql else _SQLITE_TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER {name}" + (" ON group_member" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION group_member_count_reset()")
        op.execute("DROP FUNCTION group_member_count_sync()")
    op.drop_column("group", "members_version")
    op.drop_column("group", "member_count")
