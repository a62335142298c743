"""``group.member_count`` and ``group.members_version`` are kept by database triggers (migration
0005) in the transaction that changes ``group_member``, whatever changes it: each test compares
every group's stored count with a fresh ``count(*)`` after changing memberships one way.
Without the triggers every one of these tests fails."""

from __future__ import annotations

from sqlalchemy import text

from opengroups.kit import migrate
from opengroups.kit.db import Database, create_engine
from tests.conftest import Api
from tests.groups.conftest import GROUPS, group_path, insert_users
from tests.transfer.conftest import import_bundle
from tests.transfer.test_csv_members import post_csv


async def stored_and_counted(database: Database) -> dict[str, tuple[int, int]]:
    """``{group id: (member_count column, count of group_member rows)}`` for every group."""
    async with database.session(write=False) as session:
        result = await session.execute(
            text(
                "SELECT g.id, g.member_count, (SELECT count(*) FROM group_member m "
                'WHERE m.group_id = g.id) FROM "group" g'
            )
        )
        return {group_id: (int(stored), int(counted)) for group_id, stored, counted in result}


async def assert_counts_exact(database: Database) -> dict[str, int]:
    """Check every group's column against its rows; returns the counts."""
    counts = await stored_and_counted(database)
    assert counts, "no groups to check"
    wrong = {gid: pair for gid, pair in counts.items() if pair[0] != pair[1]}
    assert wrong == {}
    return {gid: stored for gid, (stored, _) in counts.items()}


async def versions(database: Database) -> dict[str, int]:
    async with database.session(write=False) as session:
        result = await session.execute(text('SELECT id, members_version FROM "group"'))
        return {group_id: int(version) for group_id, version in result}


async def remove(api: Api, group_id: str, *user_ids: str) -> None:
    response = await api.post(group_path(group_id, "/users/remove"), {"user_ids": list(user_ids)})
    assert response.status_code == 200, response.text


async def test_adds_and_removes_keep_counts_exact(api: Api, database: Database) -> None:
    red, blue = await api.group("Red"), await api.group("Blue")
    users = await insert_users(database, 30)

    await api.add(red["id"], *users[:20])
    await api.add(blue["id"], *users[10:30])
    await api.add(red["id"], *users[:25])  # 20 already there: 5 new
    counts = await assert_counts_exact(database)
    assert (counts[red["id"]], counts[blue["id"]]) == (25, 20)

    await remove(api, red["id"], *users[:7])
    await remove(api, red["id"], *users[:7])  # nobody left to remove
    counts = await assert_counts_exact(database)
    assert (counts[red["id"]], counts[blue["id"]]) == (18, 20)
    response = await api.get(group_path(red["id"]))
    assert response.json()["member_count"] == 18
    listed = {g["id"]: g["member_count"] for g in (await api.get(f"{GROUPS}/")).json()}
    assert listed == {red["id"]: 18, blue["id"]: 20}


async def test_version_changes_with_the_members_and_only_then(api: Api, database: Database) -> None:
    red, blue = await api.group("Red"), await api.group("Blue")
    users = await insert_users(database, 3)
    start = await versions(database)

    await api.add(red["id"], users[0])
    added = await versions(database)
    await api.add(red["id"], users[0])  # already a member
    response = await api.post(group_path(red["id"], "/update"), {"name": "Crimson"})
    assert response.status_code == 200
    unchanged = await versions(database)
    await remove(api, red["id"], users[0])
    removed = await versions(database)

    assert added[red["id"]] != start[red["id"]]
    assert unchanged == added
    assert removed[red["id"]] not in {start[red["id"]], added[red["id"]]}
    assert start[blue["id"]] == added[blue["id"]] == removed[blue["id"]]


async def test_deleting_a_user_lowers_the_counts_of_their_groups(
    api: Api, database: Database
) -> None:
    groups = [await api.group(f"G{n}") for n in range(3)]
    leaving = await api.user(name="Leaving")
    staying = await insert_users(database, 4)
    for group in groups:
        await api.add(group["id"], leaving.id, *staying)

    response = await api.delete(f"/api/v1/users/{leaving.id}")

    assert response.status_code == 200, response.text
    assert set((await assert_counts_exact(database)).values()) == {4}


async def test_deleting_a_group_keeps_the_other_counts(api: Api, database: Database) -> None:
    top = await api.group("Top")
    middle = await api.group("Middle", parent_group_id=top["id"])
    low = await api.group("Low", parent_group_id=middle["id"])
    users = await insert_users(database, 6)
    await api.add(top["id"], *users[:2])
    await api.add(middle["id"], *users[:5])
    await api.add(low["id"], *users[3:])

    response = await api.delete(group_path(middle["id"], "/delete"))

    assert response.status_code == 200, response.text
    assert await assert_counts_exact(database) == {top["id"]: 2, low["id"]: 3}


async def test_bundle_import_keeps_counts_exact(api: Api, database: Database) -> None:
    await api.admin()
    users = await insert_users(database, 5)
    bundle = {
        "format": "opengroups-bundle",
        "version": 1,
        "groups": [
            {"id": "g-1", "name": "One", "members": [{"id": uid} for uid in users[:4]]},
            {"id": "g-2", "name": "Two", "parent_group_id": "g-1", "members": [{"id": users[4]}]},
        ],
    }
    assert (await import_bundle(api, bundle)).status_code == 200
    assert await assert_counts_exact(database) == {"g-1": 4, "g-2": 1}

    bundle["groups"][0]["members"] = [{"id": users[0]}]  # type: ignore[index]
    response = await import_bundle(api, bundle, policy="overwrite")

    assert response.status_code == 200, response.text
    assert await assert_counts_exact(database) == {"g-1": 1, "g-2": 1}


async def test_csv_import_and_the_default_group_keep_counts_exact(
    api: Api, database: Database
) -> None:
    group = await api.group("Default")
    response = await api.post(
        "/api/v1/auths/admin/config", {"DEFAULT_GROUP_ID": group["id"], "ENABLE_SIGNUP": True}
    )
    assert response.status_code == 200, response.text
    ann = await api.user(name="Ann")  # joins the default group
    ben = await api.user(name="Ben")
    await remove(api, group["id"], ben.id)

    response = await post_csv(api, group["id"], f"Name,Email\nBen,{ben.email}\nAnn,{ann.email}\n")

    assert response.status_code == 200, response.text
    assert await assert_counts_exact(database) == {group["id"]: 2}


async def test_writes_behind_the_api_are_counted(
    api: Api, database: Database, dialect: str
) -> None:
    """Rows written by plain SQL and deleted by the user's foreign-key cascade count too."""
    group = await api.group("Raw")
    users = await insert_users(database, 3)
    async with database.session() as session:
        for uid in users:
            await session.execute(
                text("INSERT INTO group_member (group_id, user_id, created_at) VALUES (:g, :u, 0)"),
                {"g": group["id"], "u": uid},
            )
    assert await assert_counts_exact(database) == {group["id"]: 3}

    async with database.session() as session:
        await session.execute(text('DELETE FROM "user" WHERE id = :u'), {"u": users[0]})
        await session.execute(
            text("UPDATE group_member SET group_id = :g WHERE user_id = :u"),
            {"g": group["id"], "u": users[1]},  # a no-op move
        )
    assert await assert_counts_exact(database) == {group["id"]: 2}

    if dialect == "postgresql":
        async with database.session() as session:
            await session.execute(text("TRUNCATE group_member CASCADE"))
        assert await assert_counts_exact(database) == {group["id"]: 0}


async def test_a_move_between_groups_by_update_is_counted(api: Api, database: Database) -> None:
    one, two = await api.group("One"), await api.group("Two")
    users = await insert_users(database, 2)
    await api.add(one["id"], *users)
    async with database.session() as session:
        await session.execute(
            text("DELETE FROM group_member_source WHERE user_id = :u"), {"u": users[0]}
        )
        await session.execute(
            text("UPDATE group_member SET group_id = :two WHERE user_id = :u"),
            {"two": two["id"], "u": users[0]},
        )

    assert await assert_counts_exact(database) == {one["id"]: 1, two["id"]: 1}


async def test_a_refused_change_leaves_the_counts(api: Api, database: Database) -> None:
    group = await api.group("Kept")
    users = await insert_users(database, 2)
    await api.add(group["id"], users[0])
    before = await versions(database)

    response = await api.post(
        group_path(group["id"], "/users/add"), {"user_ids": [users[1], "no-such-user"]}
    )

    assert response.status_code == 422
    assert await assert_counts_exact(database) == {group["id"]: 1}
    assert await versions(database) == before


async def test_the_migration_counts_existing_memberships(
    api: Api, database: Database, migrated: str
) -> None:
    """Going back to 0004 and forward again keeps every membership and recounts them all."""
    group = await api.group("Existing")
    users = await insert_users(database, 4)
    await api.add(group["id"], *users)
    engine = create_engine(migrated)
    try:
        await migrate.downgrade(engine, "0004")
        async with database.session() as session:  # written while nothing counts
            await session.execute(
                text("DELETE FROM group_member WHERE user_id = :u"), {"u": users[0]}
            )
    finally:
        await migrate.upgrade(engine)
        await engine.dispose()

    assert await assert_counts_exact(database) == {group["id"]: 3}
