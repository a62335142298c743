"""What the admin pages show, read over HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.admin.test_access import csrf_of, sign_in
from tests.conftest import Api, StartApi


async def signed_in(api: Api) -> str:
    await api.admin()
    assert (await sign_in(api, "admin@example.com", "admin-pw")).status_code == 303
    page = await api.client.get("/admin/groups")
    return csrf_of(page.text)


async def test_permission_toggles_come_from_a_custom_catalog(
    start_api: StartApi, tmp_path: Path
) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"reports": {"view": True, "export": False}}))
    api = (await start_api(permission_catalog=catalog)).api
    await signed_in(api)
    group = await api.group("Analysts")

    page = (await api.client.get(f"/admin/groups/{group['id']}")).text

    keys = re.findall(r'name="perm:([^"]+)"', page)
    assert keys == ["reports.view", "reports.export"]
    assert page.count("on by default</span></div>") == 1  # the toggle of reports.view


async def test_the_tree_indents_children_under_their_parent(api: Api) -> None:
    await signed_in(api)
    parent = await api.group("Parent")
    await api.group("Child", parent_group_id=parent["id"])
    await api.group("Another top")

    page = (await api.client.get("/admin/groups")).text

    names = re.findall(r'<a href="/admin/groups/[^"/]+">([^<]+)</a>', page)
    assert names == ["Another top", "Parent", "Child"]
    assert "└ " in page


async def test_a_users_page_explains_each_permission(api: Api) -> None:
    await signed_in(api)
    group = await api.group("Key holders", permissions={"features": {"api_keys": True}})
    user = await api.user(name="Dora")
    await api.add(group["id"], user.id)

    page = (await api.client.get(f"/admin/users/{user.id}")).text

    row = re.search(r"<code>features.api_keys</code>(.*?)</tr>", page, re.S)
    assert row is not None
    assert "on" in row.group(1)
    assert f"/admin/groups/{group['id']}" in row.group(1)


async def test_errors_show_on_the_page_and_write_nothing(api: Api) -> None:
    csrf = await signed_in(api)
    await api.group("Taken")
    response = await api.client.post(
        "/admin/groups/create", data={"csrf": csrf, "name": "TAKEN"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "already exists" in response.text
    groups = (await api.get("/api/v1/groups/")).json()
    assert [g["name"] for g in groups] == ["Taken"]


async def test_defaults_page_saves_the_defaults(api: Api) -> None:
    csrf = await signed_in(api)
    page = (await api.client.get("/admin/defaults")).text
    checked = re.findall(r'name="perm:([^"]+)" checked', page)
    form = {
        "csrf": csrf,
        **{f"perm:{key}": "on" for key in checked},
        "perm:features.api_keys": "on",
    }

    response = await api.client.post("/admin/defaults", data=form)

    assert response.status_code == 303
    defaults = (await api.get("/api/v1/users/default/permissions")).json()
    assert defaults["features"]["api_keys"] is True
    assert defaults["chat"]["delete"] is True  # left as it was
