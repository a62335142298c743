"""SCIM filters and sortBy run as SQL on the suite's database: each filter of the tables below
returns exactly the resources named, over one small fixed data set."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import ColumnElement, null, select, update
from sqlalchemy.engine import make_url

from opengroups.groups.names import name_key
from opengroups.kit.db import Database
from opengroups.models import Group, GroupMember, User
from opengroups.scim.filters import (
    FilterRefused,
    group_filter,
    group_order,
    user_filter,
    user_order,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ALL_USERS = {"u1", "u2", "u3", "u4", "u5", "u6"}
ALL_GROUPS = {"g1", "g2", "g3", "g4", "g5"}


def moment(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


# Created one day apart from u1's 1_600_000_000; modified 10 days after creation.
CREATED = {f"u{n}": 1_600_000_000 + (n - 1) * 86_400 for n in range(1, 7)}

USERS: list[dict[str, Any]] = [
    {
        "id": "u1",
        "name": "Barbara Jensen",
        "email": "bjensen@example.com",
        "user_name": "BJensen",
        "external_id": "EXT-1",
        "active": True,
        "scim": {
            "schemas": [CORE, ENTERPRISE],
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "nickName": "Babs",
            "title": "Boss",
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": True},
                {"value": "babs@home.org", "type": "home"},
            ],
            "phoneNumbers": [{"value": "555-1234", "type": "work"}],
            ENTERPRISE: {"employeeNumber": "701984", "manager": {"value": "u2"}},
        },
    },
    {
        # No userName of its own: the e-mail is the userName. Its JSON e-mails replace the
        # column's, and its title is empty.
        "id": "u2",
        "name": "John Smith",
        "email": "jsmith@example.com",
        "external_id": "ext-2",
        "active": True,
        "scim": {
            "name": {"givenName": "John", "familyName": "Smith"},
            "title": "",
            "emails": [{"value": "john@work.example.com", "type": "work"}],
            ENTERPRISE: {"employeeNumber": "100"},
        },
    },
    # No SCIM attributes at all (JSON null): its one e-mail is the column's.
    {"id": "u3", "name": "alice Wonder", "email": "alice@example.org", "active": False},
    {
        "id": "u4",
        "name": "Carol",
        "email": "carol@example.org",
        "user_name": "Carol_99",
        "active": True,
        "scim": {"title": "Engineer", "nickName": "100%_sure", "emails": []},
    },
    {
        "id": "u5",
        "name": "Dave",
        "email": "dave@example.com",
        "user_name": "dave",
        "external_id": "EXT-5",
        "active": False,
        "scim": {
            "title": "boss",
            "emails": [
                {"value": "zed@other.net", "type": "other", "primary": False},
                {"value": "dave@example.com", "type": "work", "primary": True},
            ],
        },
    },
    # Its scim column is SQL NULL (set below).
    {"id": "u6", "name": "Eve", "email": "eve@example.net", "active": True},
]

# g1 Engineering ⊃ g2 Backend, g3 Frontend; g4 Sales ⊃ g5.
GROUPS: list[dict[str, Any]] = [
    {"id": "g1", "name": "Engineering", "external_id": "G-1", "members": ["u1", "u2"]},
    {"id": "g2", "name": "Backend", "parent": "g1", "external_id": "g-2", "members": ["u4"]},
    {"id": "g3", "name": "Frontend", "parent": "g1", "members": []},
    {"id": "g4", "name": "Sales", "members": ["u1", "u5"]},
    {"id": "g5", "name": "Ünïcode Team", "parent": "g4", "members": []},
]


@pytest.fixture
async def data(database: Database) -> Database:
    async with database.session(write=True) as session:
        for row in USERS:
            user_name = row.get("user_name")
            session.add(
                User(
                    id=row["id"],
                    name=row["name"],
                    email=row["email"],
                    role="user",
                    user_name=user_name,
                    user_name_key=user_name.lower() if user_name else None,
                    external_id=row.get("external_id"),
                    active=row["active"],
                    scim=row.get("scim"),
                    created_at=CREATED[row["id"]],
                    updated_at=CREATED[row["id"]] + 10 * 86_400,
                )
            )
        await session.flush()
        for number, row in enumerate(GROUPS):
            session.add(
                Group(
                    id=row["id"],
                    user_id="u1",
                    name=row["name"],
                    name_key=name_key(row["name"]),
                    parent_group_id=row.get("parent"),
                    external_id=row.get("external_id"),
                    created_at=1_700_000_000 + number,
                    updated_at=1_700_000_000 + number,
                )
            )
            await session.flush()
        session.add_all(
            GroupMember(group_id=row["id"], user_id=user)
            for row in GROUPS
            for user in row["members"]
        )
        await session.execute(update(User).where(User.id == "u6").values(scim=null()))
    return database


async def matching(database: Database, key: Any, where: ColumnElement[bool]) -> set[str]:
    async with database.session(write=False) as session:
        return set((await session.execute(select(key).where(where))).scalars())


USER_FILTERS: list[tuple[str, set[str]]] = [
    # userName: the user's own, else the e-mail; case-insensitive, wildcards escaped.
    ('userName eq "bjensen"', {"u1"}),
    ('USERNAME Eq "BJENSEN"', {"u1"}),
    ('userName eq "JSmith@Example.com"', {"u2"}),
    (f'{CORE}:userName eq "carol_99"', {"u4"}),
    ('userName ne "bjensen"', ALL_USERS - {"u1"}),
    ('userName sw "J"', {"u2"}),
    ('userName co "_"', {"u4"}),
    ('userName ew "@EXAMPLE.ORG"', {"u3"}),
    ('userName gt "d"', {"u2", "u5", "u6"}),
    ('userName le "carol_99"', {"u1", "u3", "u4"}),
    # externalId is caseExact.
    ('externalId eq "EXT-1"', {"u1"}),
    ('externalId eq "ext-1"', set()),
    ('externalId sw "EXT"', {"u1", "u5"}),
    ('externalId co "XT-"', {"u1", "u5"}),
    ('externalId ew "-2"', {"u2"}),
    ("externalId pr", {"u1", "u2", "u5"}),
    ("not (externalId pr)", {"u3", "u4", "u6"}),
    ('externalId ne "EXT-1"', ALL_USERS - {"u1"}),
    ('id eq "u3"', {"u3"}),
    ('displayName eq "ALICE WONDER"', {"u3"}),
    ('displayName co "smith"', {"u2"}),
    ("active eq true", {"u1", "u2", "u4", "u6"}),
    ("active eq false", {"u3", "u5"}),
    ("active ne true", {"u3", "u5"}),
    ('meta.resourceType eq "User"', ALL_USERS),
    # JSON strings: case-insensitive; missing, null and empty values.
    ('title eq "BOSS"', {"u1", "u5"}),
    ('title ne "boss"', {"u2", "u3", "u4", "u6"}),
    ('not (title eq "Boss")', {"u2", "u3", "u4", "u6"}),
    ("title pr", {"u1", "u4", "u5"}),
    ("not (title pr)", {"u2", "u3", "u6"}),
    ('title gt "c"', {"u4"}),
    ('title lt "c"', {"u1", "u2", "u5"}),
    ("nickName eq null", {"u2", "u3", "u5", "u6"}),
    ('nickName co "%"', {"u4"}),
    ('nickName co "1%s"', set()),
    ('nickName sw "100%_"', {"u4"}),
    ('nickName co "B"', {"u1"}),
    ('name.givenName eq "barbara"', {"u1"}),
    ('Name.FamilyName sw "SM"', {"u2"}),
    ("name pr", {"u1", "u2"}),
    # Multi-valued: any value matches; the column e-mail stands in when JSON has no emails.
    ('emails.value eq "babs@home.org"', {"u1"}),
    ('emails eq "BABS@home.org"', {"u1"}),
    ('emails co "example.com"', {"u1", "u2", "u5"}),
    ('emails ew "example.org"', {"u3"}),
    ('emails.value eq "eve@example.net"', {"u6"}),
    ('emails.value eq "jsmith@example.com"', set()),
    ('emails.value ne "dave@example.com"', ALL_USERS - {"u5"}),
    ("emails pr", ALL_USERS - {"u4"}),
    ("emails.type pr", {"u1", "u2", "u5"}),
    ("emails.primary eq false", {"u5"}),
    ('emails[type eq "work" and value co "example.com"]', {"u1", "u2", "u5"}),
    ('emails[type eq "other" and value co "example.com"]', set()),
    ('emails.type eq "other" and emails.value co "example.com"', {"u5"}),
    ("emails[primary eq true]", {"u1", "u5"}),
    ('emails[not (type eq "work")]', {"u1", "u3", "u5", "u6"}),
    ('not (emails[type eq "work"])', {"u3", "u4", "u6"}),
    ('phoneNumbers.value sw "555"', {"u1"}),
    (f'schemas eq "{ENTERPRISE}"', {"u1"}),
    ('schemas[value sw "URN:IETF"]', {"u1"}),
    # The enterprise extension, URN-qualified in any case.
    (f'{ENTERPRISE}:employeeNumber eq "701984"', {"u1"}),
    (f"{ENTERPRISE.upper()}:EMPLOYEENUMBER pr", {"u1", "u2"}),
    (f'{ENTERPRISE}:employeeNumber gt "2"', {"u1"}),
    (f'{ENTERPRISE}:manager.value eq "u2"', {"u1"}),
    (f'{ENTERPRISE}:manager.value eq "U2"', set()),
    # dateTime columns: epoch seconds against the parsed value, whatever its zone.
    (f'meta.created eq "{moment(CREATED["u1"])}"', {"u1"}),
    ('meta.created eq "2020-09-13T14:26:40+02:00"', {"u1"}),
    (f'meta.created gt "{moment(CREATED["u2"])}"', {"u3", "u4", "u5", "u6"}),
    (f'meta.created ge "{moment(CREATED["u2"])}"', {"u2", "u3", "u4", "u5", "u6"}),
    (f'meta.created ge "{moment(CREATED["u2"] - 0.5)}"', {"u2", "u3", "u4", "u5", "u6"}),
    (f'meta.created lt "{moment(CREATED["u2"] + 0.5)}"', {"u1", "u2"}),
    (f'meta.created le "{moment(CREATED["u2"])}"', {"u1", "u2"}),
    (f'meta.lastModified lt "{moment(CREATED["u3"] + 10 * 86_400)}"', {"u1", "u2"}),
    # groups: the direct memberships.
    ('groups eq "g1"', {"u1", "u2"}),
    ('groups.value eq "g4"', {"u1", "u5"}),
    ("groups pr", {"u1", "u2", "u4", "u5"}),
    ("not (groups pr)", {"u3", "u6"}),
    ('groups[display eq "SALES"]', {"u1", "u5"}),
    # Precedence (and before or), grouping, not.
    (
        'title eq "boss" or active eq false and userName eq "alice@example.org"',
        {"u1", "u3", "u5"},
    ),
    (
        '(title eq "boss" or active eq false) and userName eq "alice@example.org"',
        {"u3"},
    ),
    ("not (active eq true or title pr)", {"u3"}),
    ('active eq true and (title pr or emails ew ".net")', {"u1", "u4", "u6"}),
]

GROUP_FILTERS: list[tuple[str, set[str]]] = [
    ('displayName eq "engineering"', {"g1"}),
    ('displayName eq "ÜNÏCODE TEAM"', {"g5"}),
    ('displayName sw "ünï"', {"g5"}),
    ('displayName co "END"', {"g2", "g3"}),
    ('displayName ne "Sales"', ALL_GROUPS - {"g4"}),
    ('externalId eq "G-1"', {"g1"}),
    ('externalId eq "g-1"', set()),
    ('members eq "u1"', {"g1", "g4"}),
    ('members eq "g2"', {"g1"}),
    ('members.value eq "g5"', {"g4"}),
    ('members ne "u1"', {"g2", "g3", "g5"}),
    ('members[type eq "Group"]', {"g1", "g4"}),
    ('members[type eq "user" and value eq "u4"]', {"g2"}),
    ('members[display eq "carol"]', {"g2"}),
    ('members[display eq "FRONTEND"]', {"g1"}),
    ("members pr", {"g1", "g2", "g4"}),
    ("not (members pr)", {"g3", "g5"}),
    (f'meta.created gt "{moment(1_700_000_002)}"', {"g4", "g5"}),
    ('id eq "g3" or displayName eq "backend"', {"g2", "g3"}),
]


@pytest.mark.parametrize(("text", "expected"), USER_FILTERS, ids=[t for t, _ in USER_FILTERS])
async def test_user_filter(data: Database, text: str, expected: set[str]) -> None:
    assert await matching(data, User.id, user_filter(text)) == expected


@pytest.mark.parametrize(("text", "expected"), GROUP_FILTERS, ids=[t for t, _ in GROUP_FILTERS])
async def test_group_filter(data: Database, text: str, expected: set[str]) -> None:
    assert await matching(data, Group.id, group_filter(text)) == expected


async def ordered(
    database: Database, key: Any, order: ColumnElement[Any], descending: bool
) -> list[str]:
    """Ids in the order a list request gives them: missing values last when ascending, first
    when descending (RFC 7644 §3.4.2.3), ties by id."""
    direction = order.desc().nulls_first() if descending else order.asc().nulls_last()
    async with database.session(write=False) as session:
        result = await session.execute(select(key).order_by(direction, key))
        return list(result.scalars())


@pytest.mark.parametrize(
    ("sort_by", "descending", "expected"),
    [
        ("userName", False, ["u3", "u1", "u4", "u5", "u6", "u2"]),
        ("name.givenName", False, ["u1", "u2", "u3", "u4", "u5", "u6"]),
        ("name.givenName", True, ["u3", "u4", "u5", "u6", "u2", "u1"]),
        ("title", False, ["u2", "u1", "u5", "u4", "u3", "u6"]),
        ("meta.created", True, ["u6", "u5", "u4", "u3", "u2", "u1"]),
        ("active", False, ["u3", "u5", "u1", "u2", "u4", "u6"]),
        # The primary e-mail, else the first; the column's when JSON has none.
        ("emails", False, ["u3", "u1", "u5", "u6", "u2", "u4"]),
        (f"{ENTERPRISE}:employeeNumber", False, ["u2", "u1", "u3", "u4", "u5", "u6"]),
    ],
)
async def test_user_order(
    data: Database, sort_by: str, descending: bool, expected: list[str]
) -> None:
    assert await ordered(data, User.id, user_order(sort_by), descending) == expected


async def test_group_order_by_display_name(data: Database) -> None:
    order = group_order("displayName")
    assert await ordered(data, Group.id, order, False) == ["g2", "g1", "g3", "g4", "g5"]


@pytest.mark.parametrize(
    ("text", "scim_type", "says"),
    [
        ("userName eq", "invalidFilter", "syntax"),
        ('title eq "x" and', "invalidFilter", "syntax"),
        ('bogus eq "x"', "invalidFilter", "'bogus' is not an attribute"),
        ("name.bogus pr", "invalidFilter", "'name.bogus' is not an attribute"),
        ('emails[bogus eq "x"]', "invalidFilter", "'emails.bogus' is not an attribute"),
        ('urn:example:User:title eq "x"', "invalidFilter", "is not an attribute"),
        ("active gt true", "invalidFilter", "boolean"),
        ('active co "t"', "invalidFilter", "boolean"),
        ('active eq "true"', "invalidFilter", "compare it with true or false"),
        ("title eq 5", "invalidFilter", "compare it with a quoted string, not 5"),
        ('title[value eq "x"]', "invalidFilter", "not multi-valued"),
        ("meta.created gt 5", "invalidFilter", "quoted string"),
        ('meta.created gt "yesterday"', "invalidFilter", "dateTime such as"),
        ('name eq "x"', "invalidFilter", "complex attribute"),
        ('meta.version eq "x"', "invalidFilter", "not stored"),
        ("nickName gt null", "invalidFilter", "null"),
    ],
)
def test_user_filter_refused(text: str, scim_type: str, says: str) -> None:
    with pytest.raises(FilterRefused, match=says) as refused:
        user_filter(text)
    assert refused.value.scim_type == scim_type


@pytest.mark.parametrize(
    ("call", "argument", "says"),
    [
        (group_filter, "displayName eq true", "quoted string"),
        (group_filter, 'members[value eq "u1"', "syntax"),
        (user_order, "bogus", "not an attribute"),
        (user_order, "name", "complex"),
        (user_order, 'emails[type eq "work"]', "not an attribute"),
        (group_order, "members", "cannot order"),
    ],
)
def test_refused_elsewhere(call: Any, argument: str, says: str) -> None:
    with pytest.raises(FilterRefused, match=says) as refused:
        call(argument)
    assert refused.value.scim_type == (
        "invalidValue" if call in (user_order, group_order) else "invalidFilter"
    )


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "postgresql+asyncpg://"])
def test_values_are_bound_parameters(url: str) -> None:
    dialect = make_url(url).get_dialect()()
    text = 'title eq "x\' OR 1=1 --" or emails[value co "\'--"]'
    compiled = select(User.id).where(user_filter(text)).compile(dialect=dialect)
    assert "1=1" not in str(compiled)
    assert "x' or 1=1 --" in compiled.params.values()
