"""Text no database can store (NUL, unpaired surrogates) is refused with 422 wherever it comes
in, and nothing is written; everything else Unicode allows goes through."""

from __future__ import annotations

import pytest

from opengroups.kit.db import Database
from tests.admin.test_access import csrf_of, sign_in
from tests.conftest import Api, refused

SIGNUP = "/api/v1/auths/signup"
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    "raw",
    [
        '{"name": "A\\u0000b", "email": "a@example.com", "password": "pw"}',
        '{"name": "\\ud800", "email": "a@example.com", "password": "pw"}',
        '{"name": "x", "email": "a@example.com", "password": "p\\udc00w"}',
        '{"name": "x", "email": "a@example.com", "password": "pw", "\\u0000": 1}',
    ],
    ids=["nul", "high-surrogate", "low-surrogate", "nul-in-a-key"],
)
async def test_a_json_body_with_unstorable_text_is_refused(
    api: Api, database: Database, raw: str
) -> None:
    response = await refused(database, api.client.post(SIGNUP, content=raw, headers=JSON), 422)
    assert "may not contain" in response.json()["detail"]


async def test_the_same_escapes_as_text_and_real_characters_are_accepted(api: Api) -> None:
    # A backslash followed by "u0000", a surrogate pair (an emoji), accents: all storable.
    raw = '{"name": "A\\\\u0000 \\ud83d\\ude00 é", "email": "a@example.com", "password": "pw"}'
    response = await api.client.post(SIGNUP, content=raw, headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "A\\u0000 \U0001f600 é"


async def test_nul_in_a_path_or_a_query_is_refused(api: Api) -> None:
    admin = await api.admin()
    for path in ("/api/v1/groups/id/a%00b", "/api/v1/groups/?query=a%00b"):
        response = await api.client.get(path, headers=admin.headers)
        assert response.status_code == 422, (path, response.text)


async def test_nul_in_a_form_is_refused(api: Api, database: Database) -> None:
    await api.admin()
    assert (await sign_in(api, "admin@example.com", "admin-pw")).status_code == 303
    csrf = csrf_of((await api.client.get("/admin/groups")).text)

    await refused(
        database,
        api.client.post("/admin/groups/create", data={"csrf": csrf, "name": "Bad\x00name"}),
        422,
    )


async def test_nul_in_a_csv_is_refused(api: Api, database: Database) -> None:
    admin = await api.admin()
    group = await api.group("Team")
    for content_type, body in (
        ("text/csv", b"Name,Email\nA,a\x00@example.com\n"),
        ("application/json", b'{"csv": "Name,Email\\nA,a\\u0000@example.com"}'),
    ):
        await refused(
            database,
            api.client.post(
                f"/api/v1/groups/id/{group['id']}/users/import",
                content=body,
                headers={**admin.headers, "content-type": content_type},
            ),
            422,
        )


async def test_a_large_body_is_still_refused_by_its_size_first(api: Api) -> None:
    body = b'{"name": "' + b"\\u0000" * 300_000 + b'"}'
    response = await api.client.post(SIGNUP, content=body, headers=JSON)
    assert response.status_code == 413
