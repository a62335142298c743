"""Listing groups with their member counts runs a fixed number of SQL statements, however many
groups there are (no N+1). Only the request's own statements are counted: the server's
background work (the revision hint's reconcile, each second) marks its own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from opengroups.kit.db import BACKGROUND_OPTION, Database
from tests.conftest import Account, Api
from tests.groups.conftest import GROUPS


@contextmanager
def counting_statements(database: Database) -> Iterator[list[str]]:
    """Collect every statement the engine sends to the database inside the block, but for the
    server's own background work."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        connection, statement = args[0], args[2]  # (conn, cursor, statement, params, ctx, many)
        if not connection.get_execution_options().get(BACKGROUND_OPTION):
            statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def _create_groups(api: Api, member: Account, start: int, stop: int) -> None:
    for number in range(start, stop):
        group = await api.group(f"Group {number:03}")
        await api.add(group["id"], member.id)


async def _statements_for_listing(
    api: Api, database: Database, account: Account, **params: Any
) -> tuple[int, list[dict[str, Any]]]:
    await api.get(f"{GROUPS}/", account, **params)  # the caller's authentication is now cached
    with counting_statements(database) as statements:
        response = await api.get(f"{GROUPS}/", account, **params)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return len(statements), body


@pytest.mark.parametrize(
    "params", [{}, {"share": "true"}, {"limit": 500, "query": "group"}], ids=str
)
async def test_listing_cost_does_not_grow_with_groups(
    api: Api, database: Database, params: dict[str, Any], dialect: str
) -> None:
    admin = await api.admin()
    member = await api.user()
    await _create_groups(api, member, 0, 5)

    small_admin, groups = await _statements_for_listing(api, database, admin, **params)
    small_member, _ = await _statements_for_listing(api, database, member, **params)
    assert len(groups) == 5
    assert {group["member_count"] for group in groups} == {1}

    await _create_groups(api, member, 5, 100)

    large_admin, groups = await _statements_for_listing(api, database, admin, **params)
    large_member, seen = await _statements_for_listing(api, database, member, **params)
    assert len(groups) == 100
    assert len(seen) == 100
    assert {group["member_count"] for group in groups} == {1}
    assert {group["member_count"] for group in seen} == {1}
    assert large_admin == small_admin
    assert large_member == small_member
    # With the caller served from the cache: the page (counts are a column) and, when it is
    # not the last page, the total; on PostgreSQL also the revision read that validates the
    # cache. (SQLite's BEGIN is sent outside SQLAlchemy's cursor.)
    most = 2 if dialect == "sqlite" else 3
    assert 0 < small_admin <= most
    assert 0 < small_member <= most


def _reads_of_the_group_row(statements: list[str]) -> list[str]:
    return [
        sql
        for sql in statements
        if sql.lstrip().upper().startswith("SELECT") and 'FROM "group"' in sql.split("WHERE")[0]
    ]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/users/add", {"user_ids": ["MEMBER"]}),
        ("/users/remove", {"user_ids": ["MEMBER"]}),
        ("/update", {"description": "changed"}),
    ],
)
async def test_a_write_reads_the_group_row_once(
    api: Api, database: Database, path: str, body: dict[str, Any]
) -> None:
    # The row is read (and locked) once; the response and the ETag come from it and from the
    # write itself, not from reading it again.
    admin = await api.admin()
    member = await api.user()
    group = await api.group("Team")
    if path == "/users/remove":
        await api.add(group["id"], member.id)
    payload = {k: [member.id] if v == ["MEMBER"] else v for k, v in body.items()}
    await api.get("/api/v1/auths/", admin)  # the caller's authentication is now cached

    with counting_statements(database) as statements:
        response = await api.post(f"{GROUPS}/id/{group['id']}{path}", payload, admin)

    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{2 if path != "/users/remove" else 3}"'
    assert len(_reads_of_the_group_row(statements)) == 1, statements
