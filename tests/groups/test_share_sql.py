"""The share rule read in SQL (``groups/share_sql.py``) and in Python (``permissions/share.py``)
agree on every stored value, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, select

from opengroups.groups.share_sql import share_mode
from opengroups.kit.db import Database
from opengroups.models import Group
from opengroups.permissions.share import ShareSetting, read_share

SHARES: list[Any] = [
    *(True, False, "true", "TRUE", "False", "members", "MEMBERS", "1", "0", "yes", ""),
    *(1, 0, 2, 0.0, 1.5, -1, [], {}, ["true"]),
]
STORED: list[Any] = [
    None,
    {},
    {"color": "blue"},
    {"config": "not an object"},
    {"config": {}},
    {"config": {"share": None}},
    *({"config": {"share": value}} for value in SHARES),
]


@pytest.mark.parametrize("default", [True, False, "members"], ids=str)
async def test_sql_and_python_read_every_value_alike(
    database: Database, default: ShareSetting
) -> None:
    rows = [
        {
            "id": f"g{n}",
            "user_id": "u",
            "name": f"g{n}",
            "name_key": f"g{n}",
            "description": "",
            "data": data,
            "created_at": 0,
            "updated_at": 0,
        }
        for n, data in enumerate(STORED)
    ]
    async with database.session() as session:
        await session.execute(insert(Group), rows)
        dialect = session.get_bind().dialect.name
        result = await session.execute(select(Group.id, Group.data, share_mode(dialect, default)))
        read = {group_id: (data, mode) for group_id, data, mode in result}
        await session.rollback()

    for n, data in enumerate(STORED):
        stored, in_sql = read[f"g{n}"]
        assert in_sql == read_share(stored, default), data
