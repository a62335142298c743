"""The schema: models and migrations agree, migrations reverse cleanly, SQLite enforces foreign
keys."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from opengroups.kit import migrate
from opengroups.kit.db import Database, create_engine
from opengroups.models import Base

CORE_TABLES = {
    "access_grant",
    "authz_state",
    "config",
    "group",
    "group_member",
    "group_member_source",
    "user",
}


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


async def test_models_and_migrations_agree(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()

    assert differences == []


async def test_migrations_build_every_model_table(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        async with engine.connect() as conn:
            tables = await conn.run_sync(_tables)
    finally:
        await engine.dispose()

    assert tables == set(Base.metadata.tables)
    assert tables >= CORE_TABLES


async def test_downgrade_to_base_and_upgrade_again(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            after_downgrade = await conn.run_sync(_tables)
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            after_upgrade = await conn.run_sync(_tables)
            differences = await conn.run_sync(_differences)
            revision = (await conn.execute(text("SELECT revision FROM authz_state"))).all()
    finally:
        # Leave the schema at head whatever happened, for the tests that run after this one.
        await migrate.upgrade(engine)
        await engine.dispose()

    assert after_downgrade == set()
    assert after_upgrade == set(Base.metadata.tables)
    assert differences == []
    assert revision == [(0,)]


async def test_upgrade_at_head_is_a_no_op(migrated: str) -> None:
    engine = create_engine(migrated)
    try:
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()

    assert differences == []


async def test_sqlite_connections_enforce_foreign_keys(database: Database, dialect: str) -> None:
    if dialect != "sqlite":
        pytest.skip("a SQLite pragma")
    async with database.session(write=False) as session:
        foreign_keys = (await session.execute(text("PRAGMA foreign_keys"))).scalar_one()
        journal_mode = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()

    assert foreign_keys == 1
    assert journal_mode == "wal"


async def test_foreign_keys_refuse_a_membership_of_unknown_rows(database: Database) -> None:
    with pytest.raises(IntegrityError):
        async with database.session() as session:
            await session.execute(
                text(
                    "INSERT INTO group_member (group_id, user_id, created_at) "
                    "VALUES ('no-group', 'no-user', 0)"
                )
            )


async def test_users_without_a_picture_point_at_the_picture_route(
    migrated: str, database: Database
) -> None:
    engine = create_engine(migrated)
    try:
        await migrate.downgrade(engine, "0010")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    'INSERT INTO "user" (id, name, email, role, profile_image_url, '
                    "last_active_at, created_at, updated_at, revision, token_version) VALUES "
                    "('u1', 'Plain', 'plain@example.com', 'user', '/user.png', 0, 0, 0, 1, 0), "
                    "('u2', 'Own', 'own@example.com', 'user', 'https://p.example/a.png', "
                    "0, 0, 0, 1, 0)"
                )
            )
        await migrate.upgrade(engine)
        async with engine.connect() as conn:
            rows = (
                await conn.execute(text('SELECT id, profile_image_url FROM "user" ORDER BY id'))
            ).all()
    finally:
        await migrate.upgrade(engine)
        await engine.dispose()

    assert rows == [
        ("u1", "/api/v1/users/u1/profile/image"),
        ("u2", "https://p.example/a.png"),
    ]
