"""What SCIM's frequent operations read: never a group's member list, unless asked for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from opengroups.bootstrap import Runtime
from tests.scim.conftest import Scim


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements the app sends while the block runs."""
    seen: list[str] = []
    engine = runtime.database.engine.sync_engine

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_lookup_without_members_never_reads_memberships(
    scim: Scim, runtime: Runtime
) -> None:
    people = [await scim.user(f"p{i}") for i in range(3)]
    await scim.group("Looked up", *(p["id"] for p in people))
    with statements(runtime) as seen:
        response = await scim.get(
            "/Groups", filter='displayName eq "looked up"', excludedAttributes="members"
        )
    assert response.json()["totalResults"] == 1
    assert "members" not in response.json()["Resources"][0]
    assert seen  # the lookup was answered by the database
    assert not [sql for sql in seen if "group_member" in sql]


async def test_adding_a_member_costs_the_same_whatever_the_group_size(
    scim: Scim, runtime: Runtime
) -> None:
    people = [await scim.user(f"m{i}") for i in range(25)]
    small = await scim.group("Small", people[0]["id"])
    large = await scim.group("Large", *(p["id"] for p in people[:24]))
    counts = []
    for group in (small, large):
        with statements(runtime) as seen:
            response = await scim.patch(
                f"/Groups/{group['id']}",
                {"op": "add", "path": "members", "value": [{"value": people[24]["id"]}]},
            )
        assert response.status_code == 204, response.text
        counts.append(len(seen))
        reads = [sql for sql in seen if sql.lstrip().upper().startswith("SELECT")]
        # Memberships are read only for the member named, never the group's list.
        for sql in reads:
            if "FROM group_member" in sql:
                assert "group_member.user_id IN" in sql or "group_member.user_id =" in sql, sql
    assert counts[0] == counts[1]


async def test_a_page_of_groups_reads_members_once_for_the_page(
    scim: Scim, runtime: Runtime
) -> None:
    people = [await scim.user(f"q{i}") for i in range(3)]
    for index in range(2):
        await scim.group(f"Few {index}", people[0]["id"])
    with statements(runtime) as seen:
        few = await scim.get("/Groups", count="100")
    few_count = len(seen)
    for index in range(6):
        await scim.group(f"More {index}", *(p["id"] for p in people))
    with statements(runtime) as seen:
        more = await scim.get("/Groups", count="100")
    assert len(few.json()["Resources"]) == 2
    assert len(more.json()["Resources"]) == 8
    assert sorted(len(g["members"]) for g in more.json()["Resources"]) == [1, 1, *[3] * 6]
    assert len(seen) == few_count  # not one query more per group
