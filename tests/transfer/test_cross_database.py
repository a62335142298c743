"""Moving to PostgreSQL: a SQLite instance filled with every kind of input the API accepts
exports a bundle that imports into the suite's database (PostgreSQL in the PostgreSQL run)
and exports back unchanged."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tests.conftest import Api
from tests.transfer.conftest import OtherInstance, export_bundle, import_bundle

# Text that is valid and storable but easy to get wrong: astral-plane characters, right-to-left
# scripts, combining marks, characters that need escaping in JSON, SQL or HTML (the first name
# ends in mathematical Fraktur letters, written as escapes).
ODD_TEXT = [
    "Équipe 🚀 \U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522",
    "فريق البحث",
    "צוות",
    "研究チーム",
    "e\u0301tude",  # a combining accent, kept as sent
    "quote ' \" back\\slash %_ <b>&amp;</b>",
    "x" * 255,
]
ODD_JSON: dict[str, Any] = {
    "nested": {"deeper": {"deepest": [1, [2, [3, {"k": None}]]]}},
    "numbers": [0, -1, 2**63 - 1, -(2**63), 2**80, 0.1, -0.0, 1.5e300, 1e-300, 3.0],
    "text": ["", " ", "\t\n\r", "🙂", "\u2028\u2029", "\u200b"],
    "booleans": [True, False],
    "ключ": "значение",
    "": "empty key",
}
LONG_ID = "g" * 36


def as_json_numbers(value: Any) -> Any:
    """A value read the way JSON defines it: numbers as exact decimals, so that ``1.5e300``
    and the digits PostgreSQL's JSONB writes for it compare equal, as do ``-0.0`` and ``0.0``
    (JSON has one zero), and dicts compare whatever their key order."""
    return json.loads(json.dumps(value), parse_float=Decimal, parse_int=Decimal)


async def fill(api: Api) -> None:
    """Everything the API lets an admin put in: users, nested groups with odd names,
    descriptions, data and permissions, members, defaults, and a bundle import's own extras
    (ids of the stored length, provenance, 64-bit timestamps)."""
    await api.admin()  # a member of nothing: its id and e-mail are this instance's own
    members = []
    for index, name in enumerate(ODD_TEXT):
        response = await api.post(
            "/api/v1/auths/add",
            {
                "name": name,
                "email": f"  Member.{index}+Tag'o@Example.COM ",
                "password": "pw",
                "role": ["user", "pending", "admin"][index % 3],
            },
        )
        assert response.status_code == 200, response.text
        members.append(response.json()["id"])
    parent: str | None = None
    for index, name in enumerate(ODD_TEXT):
        group = await api.group(
            name,
            description=f"{name}\nline two\ttabbed " + "d" * 9_000,
            parent_group_id=parent,
            permissions={"workspace": {"models": index % 2 == 0}, "chat": {"file_upload": True}},
            data={"config": {"share": index % 2 == 0}, "extra": ODD_JSON},
        )
        await api.add(group["id"], *members[: index + 1])
        parent = group["id"] if index < 3 else parent
    defaults = await api.post(
        "/api/v1/users/default/permissions",
        {"workspace": {"models": True}, "chat": {"file_upload": False}},
    )
    assert defaults.status_code == 200, defaults.text
    imported = await import_bundle(
        api,
        {
            "format": "opengroups-bundle",
            "version": 1,
            "groups": [
                {
                    "id": LONG_ID,
                    "name": "Imported ∞",
                    "meta": {"custom_data": ODD_JSON, "source": "elsewhere"},
                    "data": {"extra": ODD_JSON},
                    "created_at": -(2**63),
                    "updated_at": 2**63 - 1,
                    "members": [
                        {"id": "u" * 36, "email": "new.member@example.org", "name": "Ñew"},
                        {"id": members[0]},
                    ],
                }
            ],
        },
        create_missing_users="true",
    )
    assert imported.status_code == 200, imported.text


def comparable(bundle: dict[str, Any], admin_id: str) -> Any:
    """What a move must keep. Who exported (and when) is the exporting instance's own; groups
    owned by the source's admin, who does not exist in the destination, are owned there by the
    admin who imported them."""
    groups = [
        {
            **group,
            "user_id": "admin" if group["user_id"] == admin_id else group["user_id"],
            "meta": {
                k: v
                for k, v in (group["meta"] or {}).items()
                if k not in ("exported_by", "export_timestamp")
            },
        }
        for group in bundle["groups"]
    ]
    return as_json_numbers({"default_permissions": bundle["default_permissions"], "groups": groups})


async def test_a_sqlite_bundle_of_every_accepted_input_moves_unchanged(
    api: Api, sqlite_instance: OtherInstance
) -> None:
    source = await sqlite_instance()
    await fill(source)
    exported = await export_bundle(source)

    response = await import_bundle(api, exported, create_missing_users="true")
    assert response.status_code == 200, response.text
    assert response.json()["added"] == len(ODD_TEXT) + 1

    moved = await export_bundle(api)
    source_admin, admin = await source.admin(), await api.admin()
    assert comparable(moved, admin.id) == comparable(exported, source_admin.id)
    # And the destination sees the same bundle as what it now holds, to the last member.
    again = await import_bundle(api, exported, policy="overwrite")
    assert again.status_code == 200, again.text
    assert (again.json()["unchanged"], again.json()["members_added"]) == (len(ODD_TEXT) + 1, 0)
