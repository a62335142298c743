"""Edge input gets a 4xx naming the problem and writes nothing: integers beyond 64 bits, ids
longer than any stored id, e-mails checked the same way everywhere."""

from __future__ import annotations

import pytest

from opengroups.kit.db import Database
from tests.admin.test_access import sign_in
from tests.conftest import Api, refused

TOO_BIG = str(2**63)
BIGGEST = str(2**63 - 1)


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/groups/?offset={TOO_BIG}",
        f"/api/v1/groups/?offset={TOO_BIG}0",
        f"/api/v1/users/?page={TOO_BIG}",
        "/api/v1/users/?page=1000000001",
        f"/api/v1/audit/events?cursor={TOO_BIG}",
        f"/api/v1/audit/events?since={TOO_BIG}",
        f"/api/v1/audit/events?until=-{TOO_BIG}1",
        f"/api/v1/changes?cursor={TOO_BIG}",
        "/api/v1/groups/id/any/members?page=1000000001",
    ],
)
async def test_integers_beyond_64_bits_are_422(api: Api, path: str) -> None:
    admin = await api.admin()
    response = await api.client.get(path, headers=admin.headers)
    assert response.status_code == 422, response.text


async def test_admin_pages_bound_their_numbers_too(api: Api) -> None:
    await api.admin()
    assert (await sign_in(api, "admin@example.com", "admin-pw")).status_code == 303
    for path in (f"/admin/groups?page={TOO_BIG}", f"/admin/audit?cursor={TOO_BIG}"):
        assert (await api.client.get(path)).status_code == 422, path


async def test_the_largest_64_bit_values_are_answered(api: Api) -> None:
    for path in (
        f"/api/v1/groups/?offset={BIGGEST}&limit=5",
        f"/api/v1/audit/events?cursor={BIGGEST}",
        f"/api/v1/audit/events?since=-{BIGGEST}&until={BIGGEST}",
        f"/api/v1/changes?cursor={BIGGEST}",
    ):
        admin = await api.admin()
        response = await api.client.get(path, headers=admin.headers)
        assert response.status_code == 200, (path, response.text)


def bundle(**group: object) -> dict[str, object]:
    return {
        "format": "opengroups-bundle",
        "version": 1,
        "groups": [{"id": "g1", "name": "G", **group}],
    }


@pytest.mark.parametrize(
    "payload",
    [
        bundle(id="x" * 37),
        bundle(parent_group_id="p" * 37),
        bundle(members=[{"id": "u" * 37}]),
        bundle(members=[{"email": "not-an-email"}]),
        bundle(created_at=2**63),
        [{"id": "g" * 37, "name": "From Open WebUI"}],
        [{"id": "g1", "name": "From Open WebUI", "user_ids": ["u" * 37]}],
    ],
    ids=["group-id", "parent-id", "member-id", "email", "created-at", "owui-id", "owui-user"],
)
async def test_bundles_with_unstorable_values_are_422(
    api: Api, database: Database, payload: object
) -> None:
    await api.admin()
    await refused(
        database,
        api.post("/api/v1/transfer/import?create_missing_users=true", payload),
        422,
    )


async def test_created_members_have_e_mails_checked_as_everywhere(api: Api) -> None:
    # The same rule as /auths/add: trimmed and lower-cased, then it must look like an address.
    await api.admin()
    payload = bundle(members=[{"email": "  Spaced@Example.com "}])
    response = await api.post("/api/v1/transfer/import?create_missing_users=true", payload)
    assert response.status_code == 200, response.text
    users = (await api.get("/api/v1/users/")).json()["users"]
    assert "spaced@example.com" in [user["email"] for user in users]
