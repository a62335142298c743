"""Open WebUI 0.12.4's profile and status fields: stored, answered wherever a user is shown,
and edited where Open WebUI lets users edit them."""

from __future__ import annotations

from typing import Any

import pytest

from opengroups.kit.db import Database
from tests.conftest import Api, refused

# As Open WebUI 0.12.4 names them (the list is the specification, not the code's constant).
FIELDS = ("bio", "gender", "date_of_birth", "status_emoji", "status_message", "status_expires_at")
PROFILE = {"bio": "Writes parsers", "gender": "female", "date_of_birth": "1990-04-01"}
STATUS = {"status_emoji": "🌴", "status_message": "On leave", "status_expires_at": 1_900_000_000}


async def _views(api: Api, user_id: str, group_id: str) -> list[dict[str, Any]]:
    """The user as each route that shows one answers."""
    admin = await api.admin()
    detail = (await api.get(f"/api/v1/users/{user_id}")).json()
    listed = next(
        u for u in (await api.get("/api/v1/users/")).json()["users"] if u["id"] == user_id
    )
    direct = (await api.post(f"/api/v1/groups/id/{group_id}/users")).json()[0]
    page = (await api.get(f"/api/v1/groups/id/{group_id}/members")).json()["items"][0]
    assert admin.id != user_id
    return [detail, listed, direct, page]


async def test_every_view_of_a_user_carries_the_fields(api: Api) -> None:
    user = await api.user()
    group = await api.group("Team")
    await api.add(group["id"], user.id)
    session = (await api.get("/api/v1/auths/", user)).json()

    for view in [session, *await _views(api, user.id, group["id"])]:
        assert {field: view[field] for field in FIELDS} == dict.fromkeys(FIELDS), view


async def test_users_edit_their_own_profile_and_status(api: Api) -> None:
    user = await api.user()
    group = await api.group("Team")
    await api.add(group["id"], user.id)

    profile = await api.post("/api/v1/auths/update/profile", PROFILE, user)
    status = await api.post("/api/v1/users/user/status/update", STATUS, user)

    assert profile.status_code == 200, profile.text
    assert status.status_code == 200, status.text
    expected = PROFILE | STATUS
    assert {field: status.json()[field] for field in FIELDS} == expected
    mine = (await api.get("/api/v1/users/user/status", user)).json()
    assert mine["status_message"] == "On leave"
    session = (await api.get("/api/v1/auths/", user)).json()
    for view in [session, *await _views(api, user.id, group["id"])]:
        assert {field: view[field] for field in FIELDS} == expected, view


async def test_fields_left_out_or_null_stay(api: Api) -> None:
    user = await api.user()
    await api.post("/api/v1/auths/update/profile", PROFILE, user)

    response = await api.post("/api/v1/auths/update/profile", {"bio": None, "gender": "x"}, user)

    assert response.status_code == 200, response.text
    assert (response.json()["bio"], response.json()["gender"]) == ("Writes parsers", "x")
    assert response.json()["date_of_birth"] == "1990-04-01"


async def test_admins_set_them_too_and_the_change_is_audited(api: Api) -> None:
    user = await api.user()

    response = await api.post(f"/api/v1/users/{user.id}/update", {"bio": "Set by the admin"})

    assert response.status_code == 200, response.text
    assert response.json()["bio"] == "Set by the admin"
    events = (await api.get("/api/v1/audit/events", action="user.update")).json()["items"]
    assert events[0]["after"] == {"bio": "Set by the admin"}
    assert events[0]["before"] == {"bio": None}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/api/v1/auths/update/profile", {"date_of_birth": "1990-13-01"}, id="date"),
        pytest.param("/api/v1/auths/update/profile", {"date_of_birth": 0}, id="date-number"),
        pytest.param("/api/v1/auths/update/profile", {"bio": "x" * 10_001}, id="bio-long"),
        pytest.param("/api/v1/auths/update/profile", {"name": "  "}, id="name-blank"),
        pytest.param("/api/v1/users/user/status/update", {"status_expires_at": 2**63}, id="int"),
        pytest.param("/api/v1/users/user/status/update", {"status_expires_at": False}, id="bool"),
        pytest.param("/api/v1/users/user/status/update", {"status_expires_at": -1}, id="neg"),
        pytest.param("/api/v1/users/user/status/update", {"status_emoji": "x" * 65}, id="emoji"),
    ],
)
async def test_bad_fields_are_422_and_change_nothing(
    api: Api, database: Database, path: str, body: dict[str, Any]
) -> None:
    user = await api.user()

    await refused(database, api.post(path, body, user), 422)


async def test_pending_users_cannot_edit_their_profile(api: Api, database: Database) -> None:
    pending = await api.user("pending")

    await refused(database, api.post("/api/v1/auths/update/profile", PROFILE, pending), 401)
