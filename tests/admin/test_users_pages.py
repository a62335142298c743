"""The admin page's users pages over HTTP: the list (search, role filter, paging, pending
count, approve), a user's role, password, API key and deletion, new users, the groups and
named explanations; every refusal shown on the page with nothing written, and only admins."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from opengroups.admin import session as cookies
from opengroups.kit.db import Database
from tests.admin.test_access import SECRET, csrf_of, sign_in
from tests.admin.test_pages import signed_in
from tests.conftest import Account, Api, refused
from tests.users.conftest import insert_users


async def shown(api: Api, response: httpx.Response) -> str:
    """The page a form's answer leads to (Post/Redirect/Get), with its message or error."""
    assert response.status_code == 303, response.text
    return (await api.client.get(response.headers["location"])).text


def flash(html: str, kind: str) -> str:
    """The text of the page's success (``ok``) or error (``bad``) message."""
    found = re.search(rf'<p class="flash {kind}" role="(?:status|alert)">(.*?)</p>', html, re.S)
    assert found, f"no {kind} message on the page"
    return found.group(1)


def listed_emails(html: str) -> list[str]:
    table = re.search(r'<table id="users">(.*?)</table>', html, re.S)
    assert table
    return re.findall(r"<td>([^<\s]+@[^<\s]+)</td>", table.group(1))


PATH_SEPARATOR = " \u203a "  # between the names of a group's path


def permission_row(html: str, key: str) -> str:
    """The cells after a key's name in the explained permissions."""
    row = re.search(rf"<code>{re.escape(key)}</code>(.*?)</tr>", html, re.S)
    assert row, f"no row for {key}"
    return row.group(1)


def revision_of(html: str) -> str:
    found = re.search(r'name="revision" value="(\d+)"', html)
    assert found, "no revision on the page"
    return found.group(1)


async def user_of(api: Api, user_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/users/{user_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def signin_status(api: Api, email: str, password: str) -> int:
    response = await api.client.post(
        "/api/v1/auths/signin", json={"email": email, "password": password}
    )
    return response.status_code


async def role_form(api: Api, csrf: str, user_id: str, role: str, **extra: str) -> httpx.Response:
    """Post the role form as the user page shows it (with the revision it shows)."""
    page = (await api.client.get(f"/admin/users/{user_id}")).text
    data = {"csrf": csrf, "role": role, "revision": revision_of(page), **extra}
    return await api.client.post(f"/admin/users/{user_id}/role", data=data)


async def second_admin(api: Api) -> tuple[Account, str]:
    """Another admin (not the primary one), signed in to the admin page; with the CSRF token."""
    other = await api.user("admin")
    assert (await sign_in(api, other.email, "user-pw")).status_code == 303
    return other, csrf_of((await api.client.get("/admin/users")).text)


# --- the list --------------------------------------------------------------------------------


async def test_the_list_counts_the_pending_and_filters_by_role(api: Api) -> None:
    await signed_in(api)
    first = await api.user("pending")
    second = await api.user("pending")
    member = await api.user("user")

    everyone = (await api.client.get("/admin/users")).text
    pending = (await api.client.get("/admin/users", params={"role": "pending"})).text
    users = (await api.client.get("/admin/users", params={"role": "user"})).text

    count = re.search(r'<p class="card" id="pending-count"[^>]*>(.*?)</p>', everyone, re.S)
    assert count
    assert "2 accounts are waiting for approval" in count.group(1)
    assert 'href="/admin/users?role=pending"' in count.group(1)
    assert sorted(listed_emails(everyone)) == sorted(
        ["admin@example.com", first.email, second.email, member.email]
    )
    assert sorted(listed_emails(pending)) == sorted([first.email, second.email])
    assert listed_emails(users) == [member.email]
    assert '<option value="pending" selected>Pending (2)</option>' in pending
    assert everyone.count("Approve</button>") == 2


async def test_no_pending_count_when_no_one_waits(api: Api) -> None:
    await signed_in(api)
    await api.user("user")

    page = (await api.client.get("/admin/users")).text

    assert 'id="pending-count"' not in page
    assert "Approve</button>" not in page


async def test_an_unknown_role_filter_is_refused(api: Api) -> None:
    await signed_in(api)
    assert (await api.client.get("/admin/users", params={"role": "owner"})).status_code == 422


async def test_search_matches_a_name_or_an_e_mail(api: Api) -> None:
    await signed_in(api)
    zed = await api.user(name="Zed Quist")
    other = await api.user(name="Someone Else")

    by_name = (await api.client.get("/admin/users", params={"query": "quist"})).text
    by_email = (await api.client.get("/admin/users", params={"query": other.email})).text
    both = (await api.client.get("/admin/users", params={"query": "quist", "role": "admin"})).text

    assert listed_emails(by_name) == [zed.email]
    assert listed_emails(by_email) == [other.email]
    assert listed_emails(both) == []
    assert "No users match." in both


async def test_rows_show_created_and_last_active_and_pages_hold_fifty(
    api: Api, database: Database
) -> None:
    await signed_in(api)
    names = [f"Person {n:02}" for n in range(55)]
    await insert_users(database, names, created_at=1000)

    first = (await api.client.get("/admin/users")).text
    second = (await api.client.get("/admin/users", params={"page": 2})).text

    assert len(listed_emails(first)) == 50
    assert len(listed_emails(second)) == 6  # 55 and the admin
    assert set(listed_emails(first)).isdisjoint(listed_emails(second))
    assert "Page 1 of 2" in first
    assert 'href="?query=&role=&page=2"' in first
    row = re.search(r"person.00@example.com</td>(.*?)</tr>", first, re.S)
    assert row
    # created_at 1000, last active 1000 (insert_users), shown as UTC times.
    assert row.group(1).count("<td>1970-01-01 00:16:40</td>") == 2


# --- approving ----------------------------------------------------------------------------


async def test_approve_lets_a_pending_user_in(api: Api) -> None:
    csrf = await signed_in(api)
    admin = await api.admin()
    waiting = await api.user("pending")

    response = await api.client.post(
        f"/admin/users/{waiting.id}/approve", data={"csrf": csrf, "role": "pending", "page": "1"}
    )

    assert response.headers["location"].startswith("/admin/users?")
    assert "role=pending" in response.headers["location"]  # back to the list it came from
    assert "approved" in flash(await shown(api, response), "ok")
    assert (await user_of(api, waiting.id))["role"] == "user"
    events = (
        await api.get("/api/v1/audit/events", action="user.update", resource_id=waiting.id)
    ).json()["items"]
    assert [(e["actor_id"], e["after"]) for e in events] == [(admin.id, {"role": "user"})]


async def test_approving_someone_not_pending_writes_nothing(api: Api, database: Database) -> None:
    csrf = await signed_in(api)
    admin = await api.user("admin")  # made admin since the list was read, say

    response = await refused(
        database,
        api.client.post(f"/admin/users/{admin.id}/approve", data={"csrf": csrf}),
        303,
    )

    assert "is not pending" in flash(await shown(api, response), "bad")
    assert (await user_of(api, admin.id))["role"] == "admin"


# --- roles ---------------------------------------------------------------------------------


async def test_promoting_a_user_needs_no_confirmation_and_ends_their_sessions(api: Api) -> None:
    csrf = await signed_in(api)
    member = await api.user("user")

    response = await role_form(api, csrf, member.id, "admin")

    assert "Role changed to admin" in flash(await shown(api, response), "ok")
    assert (await user_of(api, member.id))["role"] == "admin"
    assert (await api.get("/api/v1/auths/", member)).status_code == 401


async def test_demoting_an_admin_asks_first(api: Api, database: Database) -> None:
    csrf = await signed_in(api)
    other = await api.user("admin")

    asked = await refused(database, role_form(api, csrf, other.id, "user"), 200)
    assert "is an admin" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert (await user_of(api, other.id))["role"] == "admin"

    confirmed = await role_form(api, csrf, other.id, "user", confirm="yes")

    assert "Role changed to user" in flash(await shown(api, confirmed), "ok")
    assert (await user_of(api, other.id))["role"] == "user"


async def test_the_primary_admin_asked_about_their_own_role_is_then_refused(
    api: Api, database: Database
) -> None:
    csrf = await signed_in(api)
    admin = await api.admin()

    asked = await refused(database, role_form(api, csrf, admin.id, "user"), 200)
    assert "This is your own account" in asked.text
    response = await refused(database, role_form(api, csrf, admin.id, "user", confirm="yes"), 303)

    assert (
        flash(await shown(api, response), "bad")
        == "The primary admin&#39;s role cannot be changed."
    )
    assert (await user_of(api, admin.id))["role"] == "admin"


async def test_another_admin_who_demotes_themselves_is_signed_out(api: Api) -> None:
    await api.admin()
    other, csrf = await second_admin(api)

    asked = await role_form(api, csrf, other.id, "pending")
    assert "This is your own account" in asked.text
    response = await role_form(api, csrf, other.id, "pending", confirm="yes")

    assert response.headers["location"].startswith("/admin/login")
    assert (await user_of(api, other.id))["role"] == "pending"
    after = await api.client.get("/admin/users")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/admin/login")


async def test_keeping_the_role_changes_nothing(api: Api, database: Database) -> None:
    csrf = await signed_in(api)
    member = await api.user("user")

    response = await refused(database, role_form(api, csrf, member.id, "user"), 303)

    assert "unchanged" in flash(await shown(api, response), "ok")


async def test_a_role_form_read_before_a_change_is_refused(api: Api, database: Database) -> None:
    csrf = await signed_in(api)
    member = await api.user("user")
    page = (await api.client.get(f"/admin/users/{member.id}")).text
    renamed = await api.post(f"/api/v1/users/{member.id}/update", {"name": "Renamed"})
    assert renamed.status_code == 200

    response = await refused(
        database,
        api.client.post(
            f"/admin/users/{member.id}/role",
            data={"csrf": csrf, "role": "admin", "revision": revision_of(page)},
        ),
        303,
    )

    assert "changed since you read it" in flash(await shown(api, response), "bad")
    assert (await user_of(api, member.id))["role"] == "user"


async def test_an_unknown_role_is_refused(api: Api, database: Database) -> None:
    csrf = await signed_in(api)
    member = await api.user("user")

    response = await refused(database, role_form(api, csrf, member.id, "owner"), 303)

    assert flash(await shown(api, response), "bad").startswith("role: ")


# --- passwords -----------------------------------------------------------------------------


async def test_a_new_password_typed_twice_replaces_the_old_one(api: Api) -> None:
    csrf = await signed_in(api)
    member = await api.user("user")

    response = await api.client.post(
        f"/admin/users/{member.id}/password",
        data={"csrf": csrf, "password": " new pass ", "password_again": " new pass "},
    )

    assert "Password changed" in flash(await shown(api, response), "ok")
    assert await signin_status(api, member.email, " new pass ") == 200  # blanks kept
    assert await signin_status(api, member.email, "user-pw") == 400
    assert (await api.get("/api/v1/auths/", member)).status_code == 401  # sessions ended


@pytest.mark.parametrize(
    ("password", "again", "error"),
    [
        ("new-pass-1", "new-pass-2", "The two passwords differ: nothing was changed."),
        ("", "", "Type the new password twice, or generate one."),
        ("EMAIL", "EMAIL", "password: may not be the e-mail address."),
    ],
    ids=["different", "blank", "policy"],
)
async def test_a_refused_password_writes_nothing(
    api: Api, database: Database, password: str, again: str, error: str
) -> None:
    csrf = await signed_in(api)
    member = await api.user("user")
    password, again = (value.replace("EMAIL", member.email) for value in (password, again))

    response = await refused(
        database,
        api.client.post(
            f"/admin/users/{member.id}/password",
            data={"csrf": csrf, "password": password, "password_again": again},
        ),
        303,
    )

    assert flash(await shown(api, response), "bad") == error
    assert await signin_status(api, member.email, "user-pw") == 200


async def test_a_generated_password_is_shown_once(api: Api) -> None:
    csrf = await signed_in(api)
    member = await api.user("user")

    response = await api.client.post(
        f"/admin/users/{member.id}/password",
        data={"csrf": csrf, "generate": "yes", "password": "ignored", "password_again": "x"},
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    found = re.search(r'<code id="secret">([^<]+)</code>', response.text)
    assert found
    password = found.group(1)
    assert len(password) >= 20
    assert await signin_status(api, member.email, password) == 200
    assert await signin_status(api, member.email, "user-pw") == 400
    assert password not in (await api.client.get(f"/admin/users/{member.id}")).text


# --- API keys ------------------------------------------------------------------------------


async def test_an_api_key_is_shown_once_works_and_can_be_revoked(api: Api) -> None:
    csrf = await signed_in(api)
    group = await api.group("Key holders", permissions={"features": {"api_keys": True}})
    member = await api.user("user")
    await api.add(group["id"], member.id)

    created = await api.client.post(f"/admin/users/{member.id}/api-key", data={"csrf": csrf})

    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    found = re.search(r'<code id="secret">(sk-[^<]+)</code>', created.text)
    assert found
    key = Account(member.id, member.email, found.group(1))
    me = await api.get("/api/v1/auths/", key)
    assert me.status_code == 200
    assert me.json()["id"] == member.id
    page = (await api.client.get(f"/admin/users/{member.id}")).text
    assert '<span id="api-key-state">yes</span>' in page
    assert key.token not in page

    revoked = await api.client.post(f"/admin/users/{member.id}/api-key/revoke", data={"csrf": csrf})

    assert "API key revoked" in flash(await shown(api, revoked), "ok")
    assert (await api.get("/api/v1/auths/", key)).status_code == 401


async def test_an_api_key_needs_the_permission_as_through_the_api(
    api: Api, database: Database
) -> None:
    csrf = await signed_in(api)
    member = await api.user("user")  # features.api_keys is off by default
    page = (await api.client.get(f"/admin/users/{member.id}")).text
    assert 'id="api-key-refused"' in page

    response = await refused(
        database,
        api.client.post(f"/admin/users/{member.id}/api-key", data={"csrf": csrf}),
        303,
    )

    assert "features.api_keys is off" in flash(await shown(api, response), "bad")


# --- deleting ------------------------------------------------------------------------------


async def test_deleting_asks_first_then_deletes(api: Api, database: Database) -> None:
    csrf = await signed_in(api)
    group = await api.group("Team")
    member = await api.user("user", name="Leaving Soon")
    await api.add(group["id"], member.id)

    asked = await refused(database, api.client.get(f"/admin/users/{member.id}/delete"), 200)
    assert "its 1 direct group memberships" in asked.text
    response = await api.client.post(f"/admin/users/{member.id}/delete", data={"csrf": csrf})

    assert response.headers["location"].split("?")[0] == "/admin/users"
    assert f"User {member.email} deleted." in flash(await shown(api, response), "ok")
    assert (await api.get(f"/api/v1/users/{member.id}")).status_code == 404


async def test_one_cannot_delete_oneself(api: Api, database: Database) -> None:
    csrf = await signed_in(api)
    admin = await api.admin()

    response = await refused(
        database, api.client.post(f"/admin/users/{admin.id}/delete", data={"csrf": csrf}), 303
    )

    assert flash(await shown(api, response), "bad") == "You cannot delete your own account."


async def test_the_primary_admin_cannot_be_deleted(api: Api, database: Database) -> None:
    primary = await api.admin()
    _other, csrf = await second_admin(api)

    response = await refused(
        database, api.client.post(f"/admin/users/{primary.id}/delete", data={"csrf": csrf}), 303
    )

    assert flash(await shown(api, response), "bad") == "The primary admin cannot be deleted."


# --- new users -----------------------------------------------------------------------------


async def test_a_new_user_is_created_as_the_api_creates_one(api: Api) -> None:
    csrf = await signed_in(api)
    admin = await api.admin()

    response = await api.client.post(
        "/admin/users/create",
        data={
            "csrf": csrf,
            "name": " Nia New ",
            "email": "Nia@Example.com",
            "password": "nia-pw",
            "role": "pending",
        },
    )

    location = response.headers["location"]
    assert re.fullmatch(r"/admin/users/[^/?]+(\?.*)?", location)
    assert "User created." in flash(await shown(api, response), "ok")
    user_id = location.split("?")[0].rsplit("/", 1)[1]
    created = await user_of(api, user_id)
    assert (created["name"], created["email"], created["role"]) == (
        "Nia New",
        "nia@example.com",
        "pending",
    )
    assert await signin_status(api, "nia@example.com", "nia-pw") == 200
    events = (
        await api.get("/api/v1/audit/events", action="user.create", resource_id=user_id)
    ).json()["items"]
    assert [e["actor_id"] for e in events] == [admin.id]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"email": "admin@example.com"}, "already exists"),
        ({"email": "not-an-address"}, "email: "),
        ({"name": "   "}, "name: "),
        ({"password": ""}, "password: "),
        ({"role": "owner"}, "role: "),
    ],
    ids=["taken-e-mail", "bad-e-mail", "blank-name", "no-password", "unknown-role"],
)
async def test_a_refused_new_user_writes_nothing(
    api: Api, database: Database, fields: dict[str, str], error: str
) -> None:
    csrf = await signed_in(api)
    form = {"name": "Nia", "email": "nia@example.com", "password": "pw", "role": "user"}

    response = await refused(
        database,
        api.client.post("/admin/users/create", data={"csrf": csrf, **form, **fields}),
        303,
    )

    assert error in flash(await shown(api, response), "bad")


# --- a user's groups and explained permissions --------------------------------------------


async def test_the_user_page_names_groups_and_paths(api: Api) -> None:
    await signed_in(api)
    engineering = await api.group("Engineering", permissions={"workspace": {"models": True}})
    backend = await api.group(
        "Backend", parent_group_id=engineering["id"], permissions={"features": {"api_keys": True}}
    )
    member = await api.user("user", name="Dev")
    await api.add(backend["id"], member.id)

    page = (await api.client.get(f"/admin/users/{member.id}")).text

    top, below = (
        f'<a href="/admin/groups/{g["id"]}">{g["name"]}</a>' for g in (engineering, backend)
    )
    path = f"{top}{PATH_SEPARATOR}{below}"  # "Engineering > Backend", as shown
    groups = re.search(r'<ul id="groups">(.*?)</ul>', page, re.S)
    assert groups
    assert re.findall(r"<li>(.*?)</li>", groups.group(1), re.S) == [
        f'{top} <span class="muted">· inherited via {below}</span>',
        f'{path} <span class="muted">· direct</span>',
    ]
    assert f'{top} <span class="muted">(inherited via {below})' in permission_row(
        page, "workspace.models"
    )
    assert f'{path} <span class="muted">(direct)' in permission_row(page, "features.api_keys")
    defaults = permission_row(page, "chat.delete")
    assert "default" in defaults
    assert "/admin/groups/" not in defaults


async def test_an_unknown_user_is_404(api: Api, database: Database) -> None:
    csrf = await signed_in(api)
    assert (await api.client.get("/admin/users/nobody")).status_code == 404
    await refused(
        database,
        api.client.post("/admin/users/nobody/role", data={"csrf": csrf, "role": "user"}),
        404,
    )


# --- who may ------------------------------------------------------------------------------

POSTS = ["approve", "role", "password", "api-key", "api-key/revoke", "delete"]


async def _victim(api: Api) -> Account:
    return await api.user("pending")


@pytest.mark.parametrize("action", [*POSTS, "create"])
async def test_non_admins_are_refused_and_nothing_is_written(
    api: Api, database: Database, action: str
) -> None:
    victim = await _victim(api)
    plain = await api.user("user")
    api.client.cookies.set(cookies.COOKIE, cookies.issue_session(plain.id, secret=SECRET))
    path = "/admin/users/create" if action == "create" else f"/admin/users/{victim.id}/{action}"
    data = {"csrf": "x", "role": "admin", "name": "N", "email": "n@example.com", "password": "p"}

    await refused(database, api.client.post(path, data=data), 403)
    for page in ("/admin/users", f"/admin/users/{victim.id}", f"/admin/users/{victim.id}/delete"):
        assert (await api.client.get(page)).status_code == 403


@pytest.mark.parametrize("action", POSTS)
async def test_signed_out_posts_go_to_sign_in_and_write_nothing(
    api: Api, database: Database, action: str
) -> None:
    victim = await _victim(api)

    response = await refused(
        database, api.client.post(f"/admin/users/{victim.id}/{action}", data={"role": "admin"}), 303
    )

    assert response.headers["location"].startswith("/admin/login")


@pytest.mark.parametrize("action", [*POSTS, "create"])
async def test_forms_without_the_csrf_token_write_nothing(
    api: Api, database: Database, action: str
) -> None:
    await signed_in(api)
    victim = await _victim(api)
    path = "/admin/users/create" if action == "create" else f"/admin/users/{victim.id}/{action}"
    data = {"role": "admin", "name": "N", "email": "n@example.com", "password": "p"}

    await refused(database, api.client.post(path, data=data), 403)
    await refused(database, api.client.post(path, data={**data, "csrf": "forged"}), 403)
