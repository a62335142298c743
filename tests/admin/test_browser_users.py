"""The users pages in a real browser (Debian's Chromium, driven by Playwright, as
``test_browser.py``): approve a pending user, change a role (with the confirmation a demotion
asks for), set and generate passwords and sign in with them through the API, create and delete
a user; each effect checked through the API. Screenshots of the users list and of a user page
go to the temporary folder named in the output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, expect

# The browser, the server, the API client and the screenshots folder of test_browser.py (which
# skips this module too when Chromium is not installed).
from tests.admin.test_browser import (  # noqa: F401
    ApiClient,
    api,
    browser,
    screenshots,
    server,
    sign_in,
)

PATH_SEPARATOR = " \u203a "  # between the names of a group's path


def add_user(client: ApiClient, name: str, email: str, role: str) -> str:
    response = client.http.post(
        "/api/v1/auths/add",
        json={"name": name, "email": email, "password": "pw", "role": role},
        headers=client.headers,
    )
    assert response.status_code == 200, response.text
    user_id: str = response.json()["id"]
    return user_id


def group(client: ApiClient, name: str, **fields: Any) -> str:
    response = client.http.post(
        "/api/v1/groups/create", json={"name": name, **fields}, headers=client.headers
    )
    assert response.status_code == 200, response.text
    group_id: str = response.json()["id"]
    return group_id


def user_by_email(client: ApiClient, email: str) -> dict[str, Any] | None:
    body = client.http.get("/api/v1/users/", params={"query": email}, headers=client.headers).json()
    found: list[dict[str, Any]] = [u for u in body["users"] if u["email"] == email]
    return found[0] if found else None


def role_of(client: ApiClient, user_id: str) -> str:
    role: str = client.http.get(f"/api/v1/users/{user_id}", headers=client.headers).json()["role"]
    return role


def signs_in(client: ApiClient, email: str, password: str) -> bool:
    response = client.http.post("/api/v1/auths/signin", json={"email": email, "password": password})
    return response.status_code == 200


def test_an_admin_manages_users_in_the_browser(
    browser: Browser,  # noqa: F811
    server: str,  # noqa: F811
    api: ApiClient,  # noqa: F811
    screenshots: Path,  # noqa: F811
) -> None:
    pending_id = add_user(api, "Pia Pending", "pia@example.com", "pending")
    ugo_id = add_user(api, "Ugo User", "ugo@example.com", "user")
    engineering = group(api, "Engineering", permissions={"workspace": {"models": True}})
    backend = group(
        api, "Backend", parent_group_id=engineering, permissions={"features": {"api_keys": True}}
    )
    added = api.http.post(
        f"/api/v1/groups/id/{backend}/users/add", json={"user_ids": [ugo_id]}, headers=api.headers
    )
    assert added.status_code == 200, added.text
    page = browser.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, server)

    # The list: the pending account is counted, and approved in one click.
    page.goto(f"{server}/admin/users")
    expect(page.locator("#pending-count")).to_contain_text("1 account is waiting for approval")
    page.screenshot(path=screenshots / "10-users.png", full_page=True)
    page.click("button[aria-label='Approve pia@example.com']")
    expect(page.locator(".flash.ok")).to_contain_text("pia@example.com approved")
    expect(page.locator("#pending-count")).to_have_count(0)
    assert role_of(api, pending_id) == "user"

    # A user's page: groups and permissions by name, with the path through the tree.
    page.click("text=Ugo User")
    expect(page.locator("h1")).to_contain_text("Ugo User")
    expect(page.locator("#groups")).to_contain_text(f"Engineering{PATH_SEPARATOR}Backend")
    expect(page.locator("#groups")).to_contain_text("inherited via Backend")
    keys = page.locator("#permissions tr[data-key='features.api_keys']")
    expect(keys).to_contain_text(f"Engineering{PATH_SEPARATOR}Backend (direct)")
    models = page.locator("#permissions tr[data-key='workspace.models']")
    expect(models).to_contain_text("Engineering (inherited via Backend)")
    page.screenshot(path=screenshots / "11-user.png", full_page=True)

    # Promote, then demote (which asks first).
    page.select_option("#role-select", "admin")
    page.get_by_role("button", name="Change role", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Role changed to admin")
    assert role_of(api, ugo_id) == "admin"
    page.select_option("#role-select", "user")
    page.get_by_role("button", name="Change role", exact=True).click()
    expect(page.locator("#reason")).to_contain_text("Ugo User is an admin")
    assert role_of(api, ugo_id) == "admin"  # not yet
    page.screenshot(path=screenshots / "12-role-confirmation.png", full_page=True)
    page.get_by_role("button", name="Change the role to user", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Role changed to user")
    assert role_of(api, ugo_id) == "user"

    # A password typed twice, then a generated one: each signs in through the API.
    page.fill("#password", "typed-pass")
    page.fill("#password-again", "typed-pass")
    page.get_by_role("button", name="Set password", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Password changed")
    assert signs_in(api, "ugo@example.com", "typed-pass")
    assert not signs_in(api, "ugo@example.com", "pw")
    page.get_by_role("button", name="Generate a password", exact=True).click()
    expect(page.locator("h1")).to_contain_text("New password for Ugo User")
    generated = page.locator("#secret").inner_text()
    assert len(generated) >= 20
    assert signs_in(api, "ugo@example.com", generated)
    assert not signs_in(api, "ugo@example.com", "typed-pass")

    # Create a user, then delete them (after a confirmation).
    page.goto(f"{server}/admin/users")
    page.fill("#new-name", "Nia New")
    page.fill("#new-email", "nia@example.com")
    page.fill("#new-password", "nia-pass")
    page.select_option("#new-role", "user")
    page.get_by_role("button", name="Create user", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("User created.")
    expect(page.locator("h1")).to_contain_text("Nia New")
    created = user_by_email(api, "nia@example.com")
    assert created is not None
    assert (created["name"], created["role"]) == ("Nia New", "user")
    assert signs_in(api, "nia@example.com", "nia-pass")

    page.get_by_role("link", name="Delete user…").click()
    expect(page.locator("#impact")).to_contain_text("cannot be undone")
    page.get_by_role("button", name="Delete the user", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("User nia@example.com deleted.")
    assert user_by_email(api, "nia@example.com") is None
    page.close()


def test_a_refused_form_shows_why_in_the_browser(
    browser: Browser,  # noqa: F811
    server: str,  # noqa: F811
    api: ApiClient,  # noqa: F811
) -> None:
    ugo_id = add_user(api, "Ugo User", "ugo@example.com", "user")
    page = browser.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, server)

    page.goto(f"{server}/admin/users/{ugo_id}")
    page.fill("#password", "one-pass")
    page.fill("#password-again", "other-pass")
    page.get_by_role("button", name="Set password", exact=True).click()
    expect(page.locator(".flash.bad")).to_contain_text("The two passwords differ")
    assert signs_in(api, "ugo@example.com", "pw")

    page.goto(f"{server}/admin/users")
    page.fill("#new-name", "Copy")
    page.fill("#new-email", "ugo@example.com")
    page.fill("#new-password", "copy-pass")
    page.get_by_role("button", name="Create user", exact=True).click()
    expect(page.locator(".flash.bad")).to_contain_text("already exists")
    found = user_by_email(api, "ugo@example.com")
    assert found is not None
    assert found["name"] == "Ugo User"
    page.close()
