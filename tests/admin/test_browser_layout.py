"""The admin page as a new operator meets it, in Chromium (as ``test_browser.py``), on an
instance with 200 users and 30 nested groups: at 390 px (a phone) and 1280 px wide no page
scrolls sideways and the header keeps Sign out in view; the group page shows each permission
as its members have it, with Save in reach; members are added several at once and removed once
confirmed, with the list's filter kept; the audit is filtered by action and paged; text put in
an address is never shown; an unknown page is a page with the navigation. Screenshots of every
main screen at both widths go to the screenshots folder named in the output."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

# The browser and the screenshots folder of test_browser.py (which skips this module too when
# Chromium is not installed), used as fixtures: hence parameters named as the imports.
# ruff: noqa: F811
from tests.admin.test_browser import (  # noqa: F401
    ApiClient,
    browser,
    screenshots,
    sign_in,
)
from tests.servers import clean_environment, empty, running_server

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
USERS = 200
DEPARTMENTS = ("Engineering", "Sales", "Support", "Operations")
TEAMS = ("Alpha", "Bravo", "Charlie", "Delta")
CHAIN = ("Platform", "Storage", "Backups", "Night shift", "Night shift on call")
PROJECTS = (
    "Project Orion",
    "Project Vega",
    "Project Lyra",
    "A group whose name is long enough to need two lines on a phone",
)


@dataclass
class Instance:
    """The server, an API client on it, and what was created there."""

    base_url: str
    api: ApiClient
    groups: dict[str, str] = field(default_factory=dict)  # name -> id
    users: list[tuple[str, str]] = field(default_factory=list)  # (id, email)

    def create_group(self, name: str, parent: str | None = None, **fields: Any) -> str:
        body = {"name": name, **({"parent_group_id": self.groups[parent]} if parent else {})}
        response = self.api.http.post(
            "/api/v1/groups/create", json={**body, **fields}, headers=self.api.headers
        )
        assert response.status_code == 200, response.text
        self.groups[name] = response.json()["id"]
        return self.groups[name]

    def add(self, group: str, user_ids: list[str]) -> None:
        response = self.api.http.post(
            f"/api/v1/groups/id/{self.groups[group]}/users/add",
            json={"user_ids": user_ids},
            headers=self.api.headers,
        )
        assert response.status_code == 200, response.text


def populate(instance: Instance) -> None:
    """200 users (a few with long e-mail addresses) and 30 groups: a company with departments,
    teams and a chain five deep below a team, and four projects at the top level."""
    for number in range(USERS):
        local = f"user{number:03}" if number % 40 else f"a.rather.long.address.{number:03}"
        email = f"{local}@{'subsidiary.example-company.com' if number % 40 == 0 else 'example.com'}"
        instance.users.append((instance.api.user(f"User {number:03}", email), email))
    instance.create_group("Company", permissions={"features": {"api_keys": True}})
    for department in DEPARTMENTS:
        instance.create_group(department, "Company", description=f"The {department} department")
        for team in TEAMS:
            instance.create_group(f"{department} {team}", department)
    parent = "Engineering Alpha"
    for name in CHAIN:
        instance.create_group(name, parent, permissions={"workspace": {"models": True}})
        parent = name
    for project in PROJECTS:
        instance.create_group(project)
    assert len(instance.groups) == 30
    ids = [user_id for user_id, _ in instance.users]
    instance.add("Company", ids[:20])
    teams = [f"{d} {t}" for d in DEPARTMENTS for t in TEAMS]
    for index, team in enumerate(teams):
        instance.add(team, ids[20 + index * 10 : 30 + index * 10])
    instance.add(CHAIN[-1], ids[180:195])
    instance.add(PROJECTS[-1], ids[:3])


@pytest.fixture(scope="module")
def instance(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    """One server for the module: the data takes a while to create, and the tests that change
    it each use groups and users of their own."""
    folder = tmp_path_factory.mktemp("layout")
    empty(migrated)
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(folder / "data"), OPENGROUPS_DATABASE_URL=migrated
    )
    with running_server(env, folder, folder / "serve.log") as base_url:
        client = ApiClient(base_url)
        created = Instance(base_url, client)
        populate(created)
        yield created
        client.http.close()


def signed_in_page(browser: Browser, instance: Instance, viewport: dict[str, int]) -> Page:
    page = browser.new_page(viewport=viewport)  # type: ignore[arg-type]
    page.set_default_timeout(15_000)
    sign_in(page, instance.base_url)
    return page


def overflow(page: Page) -> tuple[int, int]:
    """The page's width and the window's: more than the window means sideways scrolling."""
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    return int(scroll_width), int(inner_width)


def screens(instance: Instance) -> dict[str, str]:
    team = instance.groups["Engineering Alpha"]
    return {
        "groups": "/admin/groups",
        "group": f"/admin/groups/{instance.groups[CHAIN[-1]]}",
        "members": f"/admin/groups/{instance.groups['Company']}/members?find=long",
        "members-of-a-team": f"/admin/groups/{team}/members?membership=direct",
        "audit": "/admin/audit",
        "defaults": "/admin/defaults",
        "delete": f"/admin/groups/{team}/delete",
    }


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_no_page_scrolls_sideways(
    browser: Browser, instance: Instance, screenshots: Path, viewport: dict[str, int]
) -> None:
    page = signed_in_page(browser, instance, viewport)
    width = viewport["width"]
    for name, path in screens(instance).items():
        page.goto(f"{instance.base_url}{path}")
        expect(page.locator("h1")).to_be_visible()
        page.screenshot(path=screenshots / f"layout-{width}-{name}.png")
        page.screenshot(path=screenshots / f"layout-{width}-{name}-full.png", full_page=True)
        assert overflow(page) == (width, width), f"{name} scrolls sideways at {width} px"
    page.close()


def test_at_390_px_sign_out_and_remove_stay_in_view(browser: Browser, instance: Instance) -> None:
    page = signed_in_page(browser, instance, PHONE)
    page.goto(f"{instance.base_url}{screens(instance)['members-of-a-team']}")

    sign_out = page.get_by_role("button", name="Sign out", exact=True)
    expect(sign_out).to_be_in_viewport()
    box = sign_out.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    removes = page.locator("#member-list a", has_text="Remove…")
    assert removes.count() == 10
    for index in range(removes.count()):
        found = removes.nth(index).bounding_box()
        assert found is not None
        assert found["x"] + found["width"] <= PHONE["width"]
    expect(page.locator("nav[aria-label='Admin pages'] a", has_text="Audit")).to_be_visible()
    page.close()


def test_toggles_show_the_value_members_have_and_save_is_in_reach(
    browser: Browser, instance: Instance, screenshots: Path
) -> None:
    page = signed_in_page(browser, instance, DESKTOP)
    page.goto(f"{instance.base_url}/admin/groups/{instance.groups[CHAIN[-1]]}")

    by_default = page.locator("input[name='perm:chat.delete']")
    expect(by_default).to_be_checked()
    expect(by_default).to_be_disabled()
    expect(page.locator("[id='why-chat.delete']")).to_contain_text("on by default")
    expect(page.locator("input[name='perm:features.api_keys']")).to_be_checked()
    expect(page.locator("[id='why-features.api_keys']")).to_contain_text("from Company")
    expect(page.locator("[id='why-features.api_keys']")).to_contain_text("Create personal API keys")
    expect(page.locator("[id='why-workspace.models']")).to_contain_text("set here")
    expect(page.locator("[id='why-workspace.models']")).to_contain_text("from Night shift")
    expect(page.locator("input[name='perm:features.webhooks']")).not_to_be_checked()
    for key in ("workspace.models", "chat.edit", "features.webhooks"):
        page.locator(f"[id='perm-{key}']").scroll_into_view_if_needed()
        expect(page.get_by_role("button", name="Save permissions", exact=True)).to_be_in_viewport()
    page.screenshot(path=screenshots / "layout-1280-group-scrolled.png")
    page.close()


def test_members_are_added_several_at_once_and_removed_once_confirmed(
    browser: Browser, instance: Instance, screenshots: Path
) -> None:
    group = instance.create_group("Browser bulk")
    page = signed_in_page(browser, instance, PHONE)
    path = f"{instance.base_url}/admin/groups/{group}/members"
    page.goto(f"{path}?membership=direct")

    page.fill("#find", "User 19")
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.locator("#found")).to_be_in_viewport()
    page.check("input[aria-label='Add user190@example.com']")
    page.check("input[aria-label='Add user191@example.com']")
    page.get_by_role("button", name="Add selected", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("2 members added.")
    assert instance.api.members(group) == {"user190@example.com", "user191@example.com"}
    assert "membership=direct" in page.url
    expect(page.locator("#find")).to_have_value("User 19")

    page.click("#paste > summary")
    page.fill("#emails", "user192@example.com, Nobody <nobody@example.com>\nuser193@example.com")
    page.get_by_role("button", name="Add these", exact=True).click()
    expect(page.locator("#not-found")).to_contain_text("nobody@example.com")
    expect(page.locator("#import-report")).to_contain_text("2 added")
    page.screenshot(path=screenshots / "layout-390-members-pasted.png", full_page=True)
    assert len(instance.api.members(group)) == 4

    page.goto(f"{path}?membership=direct&query=User+19")
    page.click("a[aria-label='Remove user190@example.com']")
    expect(page.locator("#confirm-remove")).to_be_in_viewport()
    expect(page.locator("#confirm-remove")).to_contain_text("Remove User 190")
    assert "user190@example.com" in instance.api.members(group)  # asking removes no one
    page.screenshot(path=screenshots / "layout-390-members-confirm-remove.png")
    page.get_by_role("button", name="Remove User 190", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Member removed.")
    assert "user190@example.com" not in instance.api.members(group)
    assert "membership=direct" in page.url
    expect(page.locator("#query")).to_have_value("User 19")
    page.close()


def test_inherited_members_say_through_which_group(browser: Browser, instance: Instance) -> None:
    page = signed_in_page(browser, instance, DESKTOP)
    page.goto(f"{instance.base_url}/admin/groups/{instance.groups['Engineering']}/members")

    row = page.locator("#member-list tr", has_text="user180@example.com")
    expect(row).to_contain_text(f"via {CHAIN[-1]}")
    expect(page.locator("#member-list tr", has_text="user020@example.com")).to_contain_text(
        "via Engineering Alpha"
    )
    page.close()


def test_the_audit_is_filtered_by_action_and_paged(browser: Browser, instance: Instance) -> None:
    page = signed_in_page(browser, instance, PHONE)
    page.goto(f"{instance.base_url}/admin/audit")

    page.select_option("#action", "group.create")
    page.get_by_role("button", name="Filter", exact=True).click()
    rows = page.locator("#events > tbody > tr")
    expect(rows).to_have_count(25)
    first = set(rows.evaluate_all("rows => rows.map(row => row.id)"))
    assert set(rows.evaluate_all("rows => rows.map(row => row.dataset.action)")) == {"group.create"}
    page.get_by_role("link", name="Older →").click()
    expect(page.locator("#pager")).to_contain_text("Page 2")
    second = set(rows.evaluate_all("rows => rows.map(row => row.id)"))
    assert second
    assert not first & second
    assert set(rows.evaluate_all("rows => rows.map(row => row.dataset.action)")) == {"group.create"}
    expect(page.locator("#action")).to_have_value("group.create")
    page.close()


def test_text_in_an_address_is_never_shown(browser: Browser, instance: Instance) -> None:
    page = signed_in_page(browser, instance, DESKTOP)
    bait = "Your password expired: sign in again at evil.example"

    for query in ("msg", "error", "flash"):
        page.goto(f"{instance.base_url}/admin/groups?{query}={bait.replace(' ', '+')}")
        expect(page.locator("h1")).to_contain_text("Groups")
        expect(page.locator("main")).not_to_contain_text("evil.example")
    page.close()


def test_an_unknown_page_is_a_page_with_the_navigation(
    browser: Browser, instance: Instance, screenshots: Path
) -> None:
    page = signed_in_page(browser, instance, PHONE)

    response = page.goto(f"{instance.base_url}/admin/no-such-page")

    assert response is not None
    assert response.status == 404
    expect(page.locator("h1")).to_contain_text("Not found")
    expect(page.locator("nav[aria-label='Admin pages']")).to_be_visible()
    page.screenshot(path=screenshots / "layout-390-not-found.png")
    root = page.goto(instance.base_url + "/")
    assert root is not None
    assert page.url == f"{instance.base_url}/admin/groups"
    page.close()
