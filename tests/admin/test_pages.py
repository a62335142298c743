"""What the admin pages show, read over HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.admin.markup import element, text_of
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
    catalog.write_text(
        json.dumps(
            {
                "reports": {
                    "view": {"default": True, "description": "See the reports dashboard."},
                    "export": False,
                }
            }
        )
    )
    api = (await start_api(permission_catalog=catalog)).api
    await signed_in(api)
    group = await api.group("Analysts")

    page = (await api.client.get(f"/admin/groups/{group['id']}")).text

    keys = re.findall(r'name="perm:([^"]+)"', page)
    assert keys == ["reports.view", "reports.export"]
    view, export = element(page, "why-reports.view"), element(page, "why-reports.export")
    assert text_of(view) == "on by default See the reports dashboard."
    assert text_of(export) == "off"


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


TRAIL = " \u203a "  # between the names of a group's path


def _toggle(page: str, key: str) -> tuple[bool, bool, str]:
    """A key's checkbox (ticked, locked) and what the page says of its value."""
    box = re.search(rf'<input type="checkbox" id="perm-{re.escape(key)}"[^>]*>', page)
    assert box is not None, f"no toggle for {key}"
    tag = box.group(0)
    return " checked" in tag, " disabled" in tag, text_of(element(page, f"why-{key}"))


async def test_toggles_show_what_members_have_and_why(api: Api) -> None:
    await signed_in(api)
    staff = await api.group("Staff", permissions={"features": {"api_keys": True}})
    team = await api.group(
        "Team", parent_group_id=staff["id"], permissions={"workspace": {"models": True}}
    )
    analysts = await api.group(
        "Analysts", parent_group_id=team["id"], permissions={"chat": {"delete": True}}
    )

    page = (await api.client.get(f"/admin/groups/{analysts['id']}")).text

    # On by default and set here too: ticked, and free to untick.
    assert _toggle(page, "chat.delete") == (True, False, "set here on by default Delete chats.")
    assert _toggle(page, "features.api_keys") == (
        True,
        True,
        "from Staff Create personal API keys.",
    )
    ticked, locked, why = _toggle(page, "workspace.models")
    assert (ticked, locked, why.split(" Open")[0]) == (True, True, "from Team")
    assert _toggle(page, "chat.edit") == (True, True, "on by default Edit messages in a chat.")
    assert _toggle(page, "features.webhooks") == (
        False,
        False,
        "off Set their own webhooks for notifications.",
    )
    assert text_of(element(page, "trail")) == TRAIL.join(["Groups", "Staff", "Team", "Analysts"])


async def test_a_key_from_several_groups_above_names_the_nearest_first(api: Api) -> None:
    await signed_in(api)
    tree = {"features": {"api_keys": True}}
    top = await api.group("Top", permissions=tree)
    middle = await api.group("Middle", parent_group_id=top["id"], permissions=tree)
    leaf = await api.group("Leaf", parent_group_id=middle["id"])

    page = (await api.client.get(f"/admin/groups/{leaf['id']}")).text

    assert _toggle(page, "features.api_keys")[2].startswith("from Middle from Top ")


async def test_saving_the_toggles_stores_only_what_the_group_sets(api: Api) -> None:
    csrf = await signed_in(api)
    staff = await api.group("Staff", permissions={"features": {"api_keys": True}})
    team = await api.group("Team", parent_group_id=staff["id"])
    page = (await api.client.get(f"/admin/groups/{team['id']}")).text
    # What the browser sends: the boxes that are ticked and not locked, plus one more.
    ticked = re.findall(r'name="(perm:[^"]+)" checked aria-describedby', page)
    form = {"csrf": csrf, **dict.fromkeys(ticked, "on"), "perm:features.webhooks": "on"}

    response = await api.client.post(f"/admin/groups/{team['id']}/permissions", data=form)

    assert response.status_code == 303
    stored = (await api.get(f"/api/v1/groups/id/{team['id']}")).json()["permissions"]
    assert stored == {"features": {"webhooks": True}}
    after = (await api.client.get(response.headers["location"])).text
    assert "Permissions saved." in after
    assert _toggle(after, "features.webhooks")[:2] == (True, False)
    assert _toggle(after, "features.webhooks")[2].startswith("set here ")


async def test_the_group_page_keeps_save_next_to_the_toggles(api: Api) -> None:
    await signed_in(api)
    group = await api.group("Analysts")

    page = (await api.client.get(f"/admin/groups/{group['id']}")).text

    form = element(page, "permissions")
    assert form.rstrip().endswith("</section>")
    assert re.search(r'<div class="savebar">\s*<button type="submit">Save permissions', form)


async def test_the_defaults_page_describes_each_key(api: Api) -> None:
    await signed_in(api)

    page = (await api.client.get("/admin/defaults")).text

    assert text_of(element(page, "why-features.api_keys")) == "Create personal API keys."


async def test_the_root_address_leads_to_the_admin_page(api: Api) -> None:
    response = await api.client.get("/")

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/groups"
