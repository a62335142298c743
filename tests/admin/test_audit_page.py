"""The audit page over HTTP: names where events hold ids, only the fields an event changed, a
choice of the actions there are, and pages of events."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from opengroups.admin import audit_view
from tests.admin.markup import element, text_of
from tests.admin.test_pages import signed_in
from tests.conftest import Api

SOURCE = Path(__file__).parents[2] / "src" / "opengroups"


def event_rows(page: str) -> list[str]:
    """The text of each event row, newest first."""
    table = element(page, "events")
    return [text_of(row) for row in re.findall(r'<tr id="event-\d+".*?</tr>', table, re.S)]


def event_actions(page: str) -> list[str]:
    return re.findall(r'<tr id="event-\d+" data-action="([^"]+)"', element(page, "events"))


async def test_events_name_people_and_groups_and_show_what_changed(api: Api) -> None:
    await signed_in(api)
    group = await api.group("Research", description="People who explore")
    bea = await api.user(name="Bea Member")
    await api.add(group["id"], bea.id)
    renamed = await api.post(f"/api/v1/groups/id/{group['id']}/update", {"name": "Discovery"})
    assert renamed.status_code == 200

    page = (await api.client.get("/admin/audit")).text

    rename, added = event_rows(page)[:2]
    assert "Admin Group changed · Discovery" in rename
    assert rename.endswith("name: Research → Discovery")
    assert "description" not in rename  # unchanged, so not shown
    assert "Members added · Discovery" in added
    assert "user_ids: — → Bea Member" in added
    for raw in (group["id"], bea.id, (await api.admin()).id):
        assert raw not in rename + added


async def test_a_deleted_group_keeps_its_name_in_the_trail(api: Api) -> None:
    await signed_in(api)
    group = await api.group("Short-lived")
    assert (await api.delete(f"/api/v1/groups/id/{group['id']}/delete")).status_code == 200

    page = (await api.client.get("/admin/audit", params={"resource_id": group["id"]})).text

    rows = event_rows(page)
    assert [row.split(" · ")[1].split(" ")[0] for row in rows] == ["Short-lived", "Short-lived"]
    assert all("(deleted)" in row for row in rows)
    assert "About Short-lived" in text_of(element(page, "active-filters"))


async def test_a_change_of_defaults_shows_the_keys_that_changed_only(api: Api) -> None:
    await signed_in(api)
    defaults = (await api.get("/api/v1/users/default/permissions")).json()
    defaults["features"]["api_keys"] = True
    assert (await api.post("/api/v1/users/default/permissions", defaults)).status_code == 200

    page = await api.client.get("/admin/audit", params={"action": "permissions.defaults.update"})

    (row,) = event_rows(page.text)
    assert row.endswith("features.api_keys: false → true")


async def test_the_action_filter_offers_the_known_actions(api: Api) -> None:
    await signed_in(api)
    await api.group("Team")

    page = (await api.client.get("/admin/audit", params={"action": "group.create"})).text

    options = re.findall(r'<option value="([^"]*)"', element(page, "action"))
    assert options == ["", *audit_view.ACTIONS]
    assert '<option value="group.create" selected>' in page
    assert set(event_actions(page)) == {"group.create"}


async def test_events_come_a_page_at_a_time(api: Api) -> None:
    await signed_in(api)
    for number in range(30):
        await api.group(f"Group {number:02}")

    first = (await api.client.get("/admin/audit", params={"action": "group.create"})).text
    older = re.search(r'<a href="(/admin/audit\?[^"]+)">Older', first)
    assert older is not None
    second = (await api.client.get(older.group(1).replace("&amp;", "&"))).text

    names = [row.split(" · ")[1].split(" ")[:2] for row in event_rows(first) + event_rows(second)]
    assert [" ".join(name) for name in names] == [f"Group {n:02}" for n in reversed(range(30))]
    assert len(event_rows(first)) == 25
    assert "Page 2" in text_of(element(second, "pager"))
    assert "Older" not in element(second, "pager")
    assert "Newest" in element(second, "pager")


async def test_a_name_filters_the_events_by_it(api: Api) -> None:
    await signed_in(api)
    admin = await api.admin()
    await api.group("Team")
    page = (await api.client.get("/admin/audit")).text

    link = re.search(r'<a href="(/admin/audit\?actor_id=[^"]+)"', page)

    assert link is not None
    only = (await api.client.get(link.group(1).replace("&amp;", "&"))).text
    assert f"actor_id={admin.id}" in link.group(1)
    assert text_of(element(only, "active-filters")).startswith("By Admin")


NAMES = audit_view.Names(users={"u-1": "Bea", "u-2": "Cid"}, groups={"g-1": "Staff"})


@pytest.mark.parametrize(
    ("before", "after", "shown"),
    [
        pytest.param(None, None, [], id="nothing"),
        pytest.param(
            {"name": "A", "description": "x"},
            {"name": "B", "description": "x"},
            ["name: A → B"],
            id="only-what-changed",
        ),
        pytest.param(
            {"permissions": {"chat": {"delete": True, "edit": True}}},
            {"permissions": {"chat": {"delete": False, "edit": True}}},
            ["permissions.chat.delete: true → false"],
            id="nested",
        ),
        pytest.param(
            None,
            {"user_ids": ["u-1", "u-2"], "source": "manual"},
            ["user_ids: — → Bea, Cid", "source: — → manual"],
            id="user-ids",
        ),
        pytest.param(
            {"parent_group_id": "g-1"},
            {"parent_group_id": None},
            ["parent_group_id: Staff → —"],
            id="group-id",
        ),
        pytest.param(
            {"member_ids": ["u-gone-for-good"]},
            {},
            ["member_ids: user u-gone-f… → —"],
            id="unknown-user",
        ),
        pytest.param(
            {"group_ids": []},
            {"group_ids": ["g-1"]},
            ["group_ids: (none) → Staff"],
            id="empty-list",
        ),
    ],
)
def test_a_change_shows_the_fields_that_differ(before: Any, after: Any, shown: list[str]) -> None:
    assert [change.short for change in audit_view.changes(before, after, NAMES)] == shown


def _recorded_actions() -> set[str]:
    """The actions the code records with a constant: ``recorder.record(action="...")`` and the
    sign-in outcomes (``_record_signin(session, "...")``)."""
    found: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name == "record":
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant):
                        found.add(str(keyword.value.value))
            elif name == "_record_signin" and isinstance(node.args[1], ast.Constant):
                found.add(str(node.args[1].value))
    return found


def test_every_recorded_action_can_be_chosen() -> None:
    recorded = _recorded_actions()

    assert {"group.create", "auth.signin.failure", "owui.apply"} <= recorded
    assert recorded - set(audit_view.ACTIONS) == set()
