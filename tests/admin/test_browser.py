"""The admin page in a real browser (Debian's Chromium, driven by Playwright): sign in, create a
group, toggle a permission, add a member, import a CSV, remove a member (once confirmed), and
check each effect through the API. Screenshots of every main screen go to a temporary folder,
named in the output (``test_browser_layout.py`` adds those of the narrow layout there)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import clean_environment, empty, running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists() and not os.environ.get("CI"):  # CI installs it: there, fail
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def server(migrated: str, tmp_path: Path) -> Iterator[str]:
    empty(migrated)
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(tmp_path / "data"), OPENGROUPS_DATABASE_URL=migrated
    )
    with running_server(env, tmp_path, tmp_path / "serve.log") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the screenshots of every browser test module of the session."""
    folder = tmp_path_factory.getbasetemp() / "admin-screenshots"
    folder.mkdir(exist_ok=True)
    print(f"\nadmin page screenshots: {folder}")
    return folder


class ApiClient:
    """Checks through the HTTP API, as an application would see the effects."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        admin = self.http.post(
            "/api/v1/auths/signup",
            json={"name": "Ada Admin", "email": "ada@example.com", "password": "ada-pw"},
        ).json()
        self.headers = {"Authorization": f"Bearer {admin['token']}"}

    def user(self, name: str, email: str) -> str:
        response = self.http.post(
            "/api/v1/auths/add",
            json={"name": name, "email": email, "password": "pw", "role": "user"},
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        user_id: str = response.json()["id"]
        return user_id

    def group_named(self, name: str) -> dict[str, Any]:
        groups = self.http.get("/api/v1/groups/", headers=self.headers).json()
        found: dict[str, Any] = next(g for g in groups if g["name"] == name)
        return found

    def members(self, group_id: str) -> set[str]:
        body = self.http.get(
            f"/api/v1/groups/id/{group_id}/members",
            params={"membership": "direct"},
            headers=self.headers,
        ).json()
        return {item["email"] for item in body["items"]}


@pytest.fixture
def api(server: str) -> Iterator[ApiClient]:
    client = ApiClient(server)
    yield client
    client.http.close()


def sign_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/groups")
    expect(page).to_have_url(f"{base_url}/admin/login?next=/admin/groups")
    page.fill("#email", "ada@example.com")
    page.fill("#password", "ada-pw")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Groups")


def test_an_admin_manages_a_group_in_the_browser(
    browser: Browser, server: str, api: ApiClient, screenshots: Path
) -> None:
    api.user("Bea Member", "bea@example.com")
    api.user("Cid Imported", "cid@example.com")
    page = browser.new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{server}/admin/login")
    page.screenshot(path=screenshots / "01-sign-in.png", full_page=True)
    sign_in(page, server)

    page.fill("#new-name", "Research")
    page.fill("#new-description", "People who explore")
    page.check("input[name=share][value=members]")
    page.get_by_role("button", name="Create group", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Research")
    group = api.group_named("Research")
    assert group["description"] == "People who explore"
    assert group["data"]["config"]["share"] == "members"
    page.screenshot(path=screenshots / "03-group.png", full_page=True)

    page.check("input[name='perm:features.api_keys']")
    page.get_by_role("button", name="Save permissions", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Permissions saved")
    assert api.group_named("Research")["permissions"] == {"features": {"api_keys": True}}

    page.click(f"a[href='/admin/groups/{group['id']}/members']")
    page.fill("#find", "bea")
    page.get_by_role("button", name="Find", exact=True).click()
    page.check("input[aria-label='Add bea@example.com']")
    page.get_by_role("button", name="Add selected", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Member added")
    assert api.members(group["id"]) == {"bea@example.com"}

    page.click("#csv > summary")
    page.fill("#csv-text", "Name,Email\nCid Imported,cid@example.com\nNobody,nobody@example.com\n")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#import-report")).to_contain_text("1 added")
    expect(page.locator("#import-report")).to_contain_text("not_found")
    assert api.members(group["id"]) == {"bea@example.com", "cid@example.com"}
    page.screenshot(path=screenshots / "04-members.png", full_page=True)

    page.click("a[aria-label='Remove bea@example.com']")
    expect(page.locator("#confirm-remove")).to_contain_text("Remove Bea Member")
    assert api.members(group["id"]) == {"bea@example.com", "cid@example.com"}  # not yet
    page.get_by_role("button", name="Remove Bea Member", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Member removed")
    assert api.members(group["id"]) == {"cid@example.com"}

    page.goto(f"{server}/admin/groups")
    page.screenshot(path=screenshots / "02-groups.png", full_page=True)
    for path, name in (
        ("/admin/users", "05-users"),
        ("/admin/defaults", "06-defaults"),
        ("/admin/audit", "07-audit"),
    ):
        page.goto(f"{server}{path}")
        expect(page.locator("h1")).to_be_visible()
        page.screenshot(path=screenshots / f"{name}.png", full_page=True)
    page.goto(f"{server}/admin/users")
    page.click("text=Cid Imported")
    expect(page.locator("table")).to_contain_text("features.api_keys")
    page.screenshot(path=screenshots / "08-user-permissions.png", full_page=True)

    page.goto(f"{server}/admin/groups/{group['id']}/delete")
    expect(page.locator("#impact")).to_contain_text("1 direct members")
    page.screenshot(path=screenshots / "09-delete.png", full_page=True)
    page.get_by_role("button", name="Delete the group", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Group deleted")
    assert api.http.get(f"/api/v1/groups/id/{group['id']}", headers=api.headers).status_code == 404
    page.close()


def test_pages_read_with_javascript_off(browser: Browser, server: str, api: ApiClient) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server)
    page.goto(f"{server}/admin/audit")
    expect(page.locator("#events")).to_contain_text("User created")
    context.close()
