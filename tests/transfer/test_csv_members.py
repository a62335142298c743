"""CSV member import (Open WebUI's ``Name,Email`` template) in one request."""

from __future__ import annotations

import httpx

from opengroups.kit.db import Database
from tests.conftest import Api, snapshot


async def post_csv(
    api: Api, group_id: str, text: str, content_type: str = "text/csv"
) -> httpx.Response:
    admin = await api.admin()
    return await api.client.post(
        f"/api/v1/groups/id/{group_id}/users/import",
        content=text.encode(),
        headers={**admin.headers, "content-type": content_type},
    )


async def test_csv_import_reports_each_row(api: Api) -> None:
    group = await api.group("Imported")
    ann, ben = await api.user(name="Ann"), await api.user(name="Ben")
    await api.add(group["id"], ben.id)
    text = (
        "Name,Email\n"
        f"Ann,{ann.email.upper()}\n"
        "Nobody,nobody@example.com\n"
        "just one column\n"
        f"Ben,{ben.email}\n"
        f"Ann again,{ann.email}\n"
    )

    response = await post_csv(api, group["id"], text)

    assert response.status_code == 200, response.text
    report = response.json()
    assert [(r["row"], r["status"]) for r in report["rows"]] == [
        (2, "added"),
        (3, "not_found"),
        (4, "invalid"),
        (5, "already_member"),
        (6, "duplicate"),
    ]
    assert (report["added"], report["already_members"], report["not_found"], report["invalid"]) == (
        1,
        1,
        1,
        1,
    )
    refreshed = (await api.get(f"/api/v1/groups/id/{group['id']}")).json()
    assert refreshed["member_count"] == 2


async def test_csv_as_json_body_works_too(api: Api) -> None:
    group = await api.group("Json")
    ann = await api.user()
    admin = await api.admin()
    response = await api.client.post(
        f"/api/v1/groups/id/{group['id']}/users/import",
        json={"csv": f"Name,Email\nAnn,{ann.email}\n"},
        headers=admin.headers,
    )
    assert response.status_code == 200
    assert response.json()["added"] == 1


async def test_csv_without_the_header_is_422_and_writes_nothing(
    api: Api, database: Database
) -> None:
    group = await api.group("Strict")
    ann = await api.user()
    before = await snapshot(database)
    response = await post_csv(api, group["id"], f"Ann,{ann.email}\n")
    assert response.status_code == 422
    assert "Name,Email" in response.json()["detail"]
    assert await snapshot(database) == before


async def test_csv_import_on_an_unknown_group_is_404(api: Api) -> None:
    response = await post_csv(api, "missing", "Name,Email\n")
    assert response.status_code == 404


async def test_csv_import_is_admin_only(api: Api) -> None:
    group = await api.group("Guarded")
    user = await api.user()
    response = await api.client.post(
        f"/api/v1/groups/id/{group['id']}/users/import",
        content=b"Name,Email\n",
        headers={**user.headers, "content-type": "text/csv"},
    )
    assert response.status_code == 403
