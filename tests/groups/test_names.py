"""Group names: a name is its text after NFKC and case folding, so spellings that look the same
are one group; invisible and control characters are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from opengroups.groups.names import check_name, name_key
from opengroups.kit import migrate
from opengroups.kit.db import Database, create_engine
from tests.conftest import Api, refused
from tests.groups.conftest import GROUPS, group_path


@pytest.mark.parametrize(
    "name",
    [
        "Team\u200b",  # zero-width space
        "\u202eTeam",  # right-to-left override
        "Te\u0007am",  # a control character
        "Te\tam",
        "\u2060\u200b",  # nothing but invisible characters
        "\u3164",  # a Hangul filler, which renders as a blank
        "Te\u00adam",  # a soft hyphen
    ],
)
async def test_invisible_and_control_characters_are_refused(
    api: Api, database: Database, name: str
) -> None:
    await api.admin()
    response = await refused(database, api.post(f"{GROUPS}/create", {"name": name}), 422)
    assert "name" in response.text


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Team", "\uff34\uff25\uff21\uff2d"),  # fullwidth
        ("café", "cafe\u0301"),  # precomposed and combining accent
        ("\ufb01nance", "Finance"),  # a ligature
        ("Straße", "STRASSE"),
    ],
)
async def test_spellings_that_normalise_alike_are_one_name(
    api: Api, database: Database, first: str, second: str
) -> None:
    await api.group(first)
    await refused(database, api.post(f"{GROUPS}/create", {"name": second}), 409)


async def test_look_alikes_across_scripts_stay_different(api: Api) -> None:
    await api.group("admins")
    cyrillic = "\u0430dmins"  # Cyrillic a
    assert (await api.post(f"{GROUPS}/create", {"name": cyrillic})).status_code == 200


async def test_a_search_finds_a_name_however_it_is_spelt(api: Api) -> None:
    group = await api.group("Café Crew")
    found = (await api.get(f"{GROUPS}/", query="CAFE\u0301")).json()
    assert [g["id"] for g in found] == [group["id"]]


async def test_renaming_into_a_normalised_duplicate_is_409(api: Api, database: Database) -> None:
    await api.group("Team")
    other = await api.group("Other")
    await refused(
        database,
        api.post(group_path(other["id"], "/update"), {"name": "\uff54\uff45\uff41\uff4d"}),
        409,
    )


def test_the_key_and_the_check() -> None:
    assert name_key("\uff21\uff22\uff23") == name_key("abc") == "abc"
    assert check_name("Ok name 👍") == "Ok name 👍"
    with pytest.raises(ValueError, match=r"U\+200B at position 2"):
        check_name("ab\u200bc")


async def test_the_migration_rekeys_existing_groups_keeping_the_oldest(
    api: Api, database: Database, migrated: str
) -> None:
    """Groups created under the old key (case folding only) get the new one; of two that now
    collide, the older keeps it and the younger gets one made unique with its id."""
    older = await api.group("Team")
    younger = await api.group("Other")
    engine = create_engine(migrated)
    try:
        await migrate.downgrade(engine, "0006")
        async with database.session() as session:  # what an older version could have stored
            await session.execute(
                text(
                    'UPDATE "group" SET name = :name, name_key = :key, created_at = 99 '
                    "WHERE id = :id"
                ),
                {
                    "name": "\uff34\uff25\uff21\uff2d",
                    "key": "\uff54\uff45\uff41\uff4d",
                    "id": younger["id"],
                },
            )
            await session.execute(
                text('UPDATE "group" SET created_at = 1 WHERE id = :id'), {"id": older["id"]}
            )
    finally:
        await migrate.upgrade(engine)
        await engine.dispose()

    async with database.session(write=False) as session:
        rows = (await session.execute(text('SELECT id, name_key FROM "group"'))).all()
    keys = {group_id: key for group_id, key in rows}
    assert keys[older["id"]] == "team"
    assert keys[younger["id"]] == f"team {younger['id']}"
    names = sorted(g["name"] for g in (await api.get(f"{GROUPS}/")).json())
    assert names == ["Team", "\uff34\uff25\uff21\uff2d"]
