"""The admin pages of the connector: targets registered, planned, applied and forgotten through
the browser's forms, against a real second opengroups process standing in as the target."""

from __future__ import annotations

import html
import re
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from starlette.datastructures import FormData

from opengroups.admin import forms
from opengroups.admin import session as cookies
from opengroups.bootstrap import Runtime
from opengroups.kit.db import Database
from tests.admin.test_access import SECRET
from tests.admin.test_pages import signed_in
from tests.conftest import Api, StartApi, refused
from tests.connector.conftest import Target, register
from tests.servers import free_port

TARGETS = "/api/v1/owui/targets"


def rows(page: str, table_id: str) -> list[list[str]]:
    """The text of each cell of each body row of the table ``table_id``."""
    table = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert table is not None, f"no table {table_id} on the page"
    body = table.group(1).split("</thead>")[-1]
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        )
    ]


def text_of(page: str) -> str:
    """The page's text, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def listed(api: Api) -> list[dict[str, Any]]:
    """The targets as the API lists them."""
    body: list[dict[str, Any]] = (await api.get(TARGETS)).json()
    return body


async def events(api: Api, action: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await api.get("/api/v1/audit/events", action=action)).json()[
        "items"
    ]
    return found


# --- the list and registering -----------------------------------------------------------------


async def test_the_list_shows_a_registered_target(api: Api, runtime: Runtime) -> None:
    await signed_in(api)
    await register(runtime, "http://chat.example.com", "sk-registered", prefix="chat-")

    page = await api.client.get("/admin/owui")

    assert page.status_code == 200
    assert '<a href="/admin/owui/chat">chat</a>' in page.text
    ((name, address, scope, status, applied, last, outcome),) = rows(page.text, "targets")
    assert (name, address, scope) == ("chat", "http://chat.example.com", "prefix:chat-")
    assert (status, applied, last, outcome) == ("manual", "by hand", "never", "never applied")
    assert "sk-registered" not in page.text


async def test_the_navigation_links_to_the_targets(api: Api) -> None:
    await signed_in(api)
    page = await api.client.get("/admin/groups")
    assert '<a href="/admin/owui">Open WebUI</a>' in page.text


async def test_registering_through_the_form(api: Api) -> None:
    csrf = await signed_in(api)
    key = "sk-never-shown-0123456789"

    created = await api.client.post(
        "/admin/owui",
        data={
            "csrf": csrf,
            "name": "chat",
            "base_url": " https://chat.example.com/ ",
            "api_key": key,
            "groups": "Team\n\n  Ops  \n",
            "reconcile_minutes": "",
        },
    )

    assert created.status_code == 303
    assert created.headers["location"].startswith("/admin/owui/chat?")
    assert key not in created.headers["location"]
    shown = await api.client.get(created.headers["location"])
    assert "Target registered." in shown.text
    assert rows(shown.text, "details")[:2] == [["https://chat.example.com"], ["Team, Ops"]]
    (stored,) = await listed(api)
    assert (stored["name"], stored["scope"]) == ("chat", "Team, Ops")
    assert (await events(api, "owui_target.create"))[0]["actor_id"] == (await api.admin()).id
    for path in ("/admin/owui", "/admin/owui/chat", "/admin/owui/chat/forget"):
        assert key not in (await api.client.get(path)).text


def test_the_form_carries_every_field_of_a_target() -> None:
    form = forms.target_form(
        FormData(
            [
                ("name", "chat"),
                ("base_url", "http://chat"),
                ("api_key", "sk-k"),
                ("prefix", "team-"),
                ("reconcile_minutes", "15"),
                ("create_missing_users", "on"),
            ]
        )
    )
    assert (form.prefix, form.groups) == ("team-", None)
    assert (form.reconcile_minutes, form.create_missing_users) == (15, True)
    bare = forms.target_form(FormData([("name", "c"), ("base_url", "http://c"), ("api_key", "k")]))
    assert (bare.prefix, bare.groups, bare.reconcile_minutes) == (None, None, None)
    assert bare.create_missing_users is False


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"base_url": "ftp://chat.example.com"}, "base_url: Value error, must be an http://"),
        ({"base_url": "http://admin:pw@chat"}, "base_url: Value error"),
        ({"prefix": "team-", "groups": "Team"}, "Give a prefix or a list of groups, not both."),
        ({"name": "chat"}, "An Open WebUI target named 'chat' already exists."),
        ({"name": "  "}, "name: String should have at least 1 character"),
        ({"api_key": ""}, "api_key: String should have at least 1 character"),
        ({"reconcile_minutes": "soon"}, "reconcile_minutes: Input should be a valid integer"),
        ({"reconcile_minutes": "0"}, "reconcile_minutes: Input should be greater than or equal"),
    ],
)
async def test_bad_input_shows_an_error_and_creates_nothing(
    api: Api, runtime: Runtime, database: Database, fields: dict[str, str], error: str
) -> None:
    csrf = await signed_in(api)
    await register(runtime, "http://chat", "sk-first")
    key = "sk-the-secret-key"
    form = {"csrf": csrf, "name": "new", "base_url": "http://chat", "api_key": key, **fields}

    response = await refused(database, api.client.post("/admin/owui", data=form), 303)

    assert response.headers["location"].startswith("/admin/owui?")
    assert key not in response.headers["location"]
    page = await api.client.get(response.headers["location"])
    assert error in text_of(page.text)
    assert key not in page.text
    assert [target["name"] for target in await listed(api)] == ["chat"]


# --- settings ----------------------------------------------------------------------------------


def settings(csrf: str, **fields: str) -> dict[str, str]:
    """The target page's "Settings" form as a browser sends it: an empty key field, the
    checkbox left out when it is off."""
    return {"csrf": csrf, "base_url": "http://chat.example.com", "api_key": "", **fields}


async def test_the_settings_form_changes_the_target(api: Api, runtime: Runtime) -> None:
    csrf = await signed_in(api)
    await register(runtime, "http://chat.example.com", "sk-x")
    before = (await api.client.get("/admin/owui/chat")).text
    assert 'action="/admin/owui/chat/settings"' in before
    assert 'value="http://chat.example.com"' in before
    assert 'name="create_missing_users" checked' not in before

    changed = await api.client.post(
        "/admin/owui/chat/settings",
        data=settings(
            csrf,
            base_url=" https://chat2.example.com/ ",
            reconcile_minutes="30",
            create_missing_users="on",
        ),
    )

    assert changed.status_code == 303
    assert changed.headers["location"].startswith("/admin/owui/chat?")
    shown = (await api.client.get(changed.headers["location"])).text
    assert "Settings saved." in shown
    assert rows(shown, "details")[:4] == [
        ["https://chat2.example.com"],
        ["all"],
        ["every 30 min"],
        ["created on the target"],
    ]
    assert 'value="https://chat2.example.com"' in shown
    assert 'value="30"' in shown
    assert 'name="create_missing_users" checked' in shown
    (stored,) = await listed(api)
    assert stored["base_url"] == "https://chat2.example.com"
    assert (stored["reconcile_minutes"], stored["create_missing_users"]) == (30, True)
    (event,) = await events(api, "owui_target.update")
    assert event["actor_id"] == (await api.admin()).id
    assert "api_key" not in event["after"]

    by_hand = await api.client.post(
        "/admin/owui/chat/settings", data=settings(csrf, reconcile_minutes="")
    )

    assert by_hand.status_code == 303
    shown = (await api.client.get(by_hand.headers["location"])).text
    assert rows(shown, "details")[2:4] == [["by hand"], ["reported, not created"]]
    (stored,) = await listed(api)
    assert (stored["reconcile_minutes"], stored["create_missing_users"]) == (None, False)
    assert stored["status"] == "manual"


async def test_a_new_key_is_used_and_an_empty_one_keeps_it(
    api: Api, runtime: Runtime, target: Target
) -> None:
    csrf = await signed_in(api)
    await api.group("Team")
    await register(runtime, target.base_url, "sk-not-the-targets-key")
    refused_plan = await api.client.post("/admin/owui/chat/plan", data={"csrf": csrf})
    assert refused_plan.status_code == 502
    assert "401" in refused_plan.text

    replaced = await api.client.post(
        "/admin/owui/chat/settings",
        data=settings(csrf, base_url=target.base_url, api_key=target.api_key),
    )

    assert replaced.status_code == 303
    assert target.api_key not in replaced.headers["location"]
    shown = (await api.client.get(replaced.headers["location"])).text
    assert "Settings saved; the API key was replaced." in shown
    assert target.api_key not in shown
    planned = await api.client.post("/admin/owui/chat/plan", data={"csrf": csrf})
    assert planned.status_code == 200, planned.text
    assert ["create", "Team", ""] in [row[1:] for row in rows(planned.text, "plan")]
    (event,) = await events(api, "owui_target.update")
    assert event["after"]["api_key"] == "replaced"
    assert target.api_key not in str(event)

    kept = await api.client.post(
        "/admin/owui/chat/settings",
        data=settings(csrf, base_url=target.base_url, reconcile_minutes="15"),
    )

    assert kept.status_code == 303
    assert "Settings saved." in (await api.client.get(kept.headers["location"])).text
    assert (await api.client.post("/admin/owui/chat/plan", data={"csrf": csrf})).status_code == 200
    assert "api_key" not in (await events(api, "owui_target.update"))[0]["after"]


def test_the_settings_form_sets_every_field_but_a_blank_key() -> None:
    blank = forms.target_settings_form(
        FormData([("base_url", "http://chat"), ("api_key", "  "), ("reconcile_minutes", "")])
    )
    assert blank.model_fields_set == {"base_url", "reconcile_minutes", "create_missing_users"}
    assert (blank.api_key, blank.reconcile_minutes, blank.create_missing_users) == (
        None,
        None,
        False,
    )
    full = forms.target_settings_form(
        FormData(
            [
                ("base_url", "http://chat"),
                ("api_key", "sk-new"),
                ("reconcile_minutes", "10080"),
                ("create_missing_users", "on"),
            ]
        )
    )
    assert (full.api_key, full.reconcile_minutes, full.create_missing_users) == (
        "sk-new",
        10080,
        True,
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"base_url": "ftp://chat.example.com"}, "base_url: Value error, must be an http://"),
        ({"base_url": "http://admin:pw@chat"}, "base_url: Value error"),
        ({"base_url": " "}, "base_url: String should have at least 1 character"),
        ({"reconcile_minutes": "soon"}, "reconcile_minutes: Input should be a valid integer"),
        ({"reconcile_minutes": "0"}, "reconcile_minutes: Input should be greater than or equal"),
        ({"reconcile_minutes": "10081"}, "reconcile_minutes: Input should be less than or equal"),
    ],
)
async def test_bad_settings_show_an_error_and_change_nothing(
    api: Api, runtime: Runtime, database: Database, fields: dict[str, str], error: str
) -> None:
    csrf = await signed_in(api)
    await register(runtime, "http://chat.example.com", "sk-first")
    key = "sk-the-new-secret-key"
    form = settings(csrf, api_key=key, create_missing_users="on", **fields)

    response = await refused(database, api.client.post("/admin/owui/chat/settings", data=form), 303)

    assert response.headers["location"].startswith("/admin/owui/chat?")
    assert key not in response.headers["location"]
    page = await api.client.get(response.headers["location"])
    assert error in text_of(page.text)
    assert key not in page.text
    (stored,) = await listed(api)
    assert stored["base_url"] == "http://chat.example.com"
    assert (stored["reconcile_minutes"], stored["create_missing_users"]) == (None, False)
    assert await events(api, "owui_target.update") == []


# --- plan and apply ---------------------------------------------------------------------------


async def test_plan_shows_the_actions_and_apply_makes_them(api: Api, target: Target) -> None:
    csrf = await signed_in(api)
    person, absent = await api.user(), await api.user()
    await target.user(person.email)
    team = await api.group("Team", description="the team")
    await api.add(team["id"], person.id, absent.id)
    await api.group("Ops")
    await target.call("POST", "/api/v1/groups/create", {"name": "Ops", "description": "theirs"})
    registered = await api.client.post(
        "/admin/owui",
        data={"csrf": csrf, "name": "chat", "base_url": target.base_url, "api_key": target.api_key},
    )
    assert registered.status_code == 303
    pages: list[str] = []

    planned = await api.client.post("/admin/owui/chat/plan", data={"csrf": csrf})
    assert planned.status_code == 200, planned.text
    pages.append(planned.text)
    actions = [(kind, group, detail) for _, kind, group, detail in rows(planned.text, "plan")]
    assert ("create", "Team", "") in actions
    assert ("add members", "Team", person.email) in actions
    assert all(group != "Ops" for _, group, _ in actions)
    page = text_of(planned.text)
    assert f"Users the target lacks (1): {absent.email}" in page
    assert "adopt them to take over): Ops" in page
    assert set(await target.groups()) == {"Ops"}  # the plan wrote nothing

    adopting = await api.client.post(
        "/admin/owui/chat/plan", data={"csrf": csrf, "adopt": "Ops\nNowhere\n"}
    )
    assert adopting.status_code == 200
    pages.append(adopting.text)
    assert ["update", "Ops", "description, adopt"] in [
        row[1:] for row in rows(adopting.text, "plan")
    ]
    assert "Nothing to adopt named: Nowhere" in text_of(adopting.text)
    assert ">Ops\nNowhere</textarea>" in adopting.text  # kept for the apply

    applied = await api.client.post("/admin/owui/chat/apply", data={"csrf": csrf, "adopt": "Ops"})
    assert applied.status_code == 200, applied.text
    pages.append(applied.text)
    assert "Applied" in applied.text
    done = [row[1:3] for row in rows(applied.text, "done")]
    assert ["create", "Team"] in done
    assert ["update", "Ops"] in done
    assert 'id="not-done"' not in applied.text
    groups = await target.groups()
    assert groups["Team"]["description"] == "the team"
    assert len(groups["Team"]["user_ids"]) == 1
    assert groups["Ops"]["description"] == ""
    assert groups["Ops"]["data"]["opengroups"]["id"]

    listing = await api.client.get("/admin/owui")
    pages.append(listing.text)
    ((*_, last, outcome),) = rows(listing.text, "targets")
    assert last != "never"
    assert outcome.startswith("ok")
    assert "create 1" in outcome
    assert "add members 1 (1 users)" in outcome
    assert "1 users missing on the target" in outcome
    (event,) = await events(api, "owui.apply")
    assert event["actor_id"] == (await api.admin()).id

    await target.call(
        "POST", f"/api/v1/groups/id/{groups['Team']['id']}/update", {"description": "edited"}
    )
    drifted = await api.client.post("/admin/owui/chat/plan", data={"csrf": csrf})
    pages.append(drifted.text)
    assert rows(drifted.text, "drift") == [["Team", "description", "", ""]]
    assert [row[1:3] for row in rows(drifted.text, "plan")] == [["update", "Team"]]
    for shown in pages:
        assert target.api_key not in shown


async def test_a_target_that_is_down_shows_its_error(
    api: Api, runtime: Runtime, database: Database
) -> None:
    csrf = await signed_in(api)
    await api.group("Team")
    await register(runtime, f"http://127.0.0.1:{free_port()}", "sk-x")

    planned = await refused(
        database, api.client.post("/admin/owui/chat/plan", data={"csrf": csrf}), 502
    )
    assert "The target failed: GET /api/v1/" in text_of(planned.text)
    assert "ConnectError" in planned.text

    applied = await api.client.post("/admin/owui/chat/apply", data={"csrf": csrf})
    assert applied.status_code == 502
    assert "Apply stopped" in applied.text
    assert "The target failed: GET /api/v1/" in text_of(applied.text)
    (stored,) = await listed(api)
    assert stored["last_result"]["ok"] is False
    assert "ConnectError" in stored["last_result"]["error"]
    ((*_, outcome),) = rows((await api.client.get("/admin/owui")).text, "targets")
    assert outcome.startswith("failed GET /api/v1/")
    assert len(await events(api, "owui.apply")) == 1


@dataclass
class LockProbe:
    """A target that, on each request, checks whether opengroups' SQLite file is free for a
    writer at that moment (a ``BEGIN IMMEDIATE`` that waits not at all), then answers 503."""

    database: Path
    writable: list[bool] = field(default_factory=list)

    def check(self) -> None:
        connection = sqlite3.connect(self.database, timeout=0, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("ROLLBACK")
            self.writable.append(True)
        except sqlite3.OperationalError:
            self.writable.append(False)
        finally:
            connection.close()


@pytest.fixture
def lock_probe(migrated: str, dialect: str) -> Iterator[tuple[LockProbe, str]]:
    if dialect != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL lets writers through")
    probe = LockProbe(Path(migrated.removeprefix("sqlite+aiosqlite:///")))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            probe.check()
            body = b'{"detail": "probed"}'
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield probe, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_no_write_transaction_is_held_while_the_target_answers(
    start_api: StartApi, lock_probe: tuple[LockProbe, str]
) -> None:
    # Caches validated by a query in every transaction: signing the admin in reads the
    # database, as a cold cache does, so a request's own write session would hold the lock.
    api = (await start_api(cache_validation="database")).api
    probe, url = lock_probe
    csrf = await signed_in(api)
    registered = await api.client.post(
        "/admin/owui", data={"csrf": csrf, "name": "chat", "base_url": url, "api_key": "sk-x"}
    )
    assert registered.status_code == 303

    planned = await api.client.post("/admin/owui/chat/plan", data={"csrf": csrf})
    assert planned.status_code == 502
    assert "503 probed" in planned.text
    applied = await api.client.post("/admin/owui/chat/apply", data={"csrf": csrf})
    assert applied.status_code == 502

    assert probe.writable == [True, True]
    (stored,) = await listed(api)
    assert "503 probed" in stored["last_result"]["error"]


async def test_a_target_that_does_not_exist_is_not_found(api: Api) -> None:
    csrf = await signed_in(api)
    assert (await api.client.get("/admin/owui/nope")).status_code == 404
    planned = await api.client.post("/admin/owui/nope/plan", data={"csrf": csrf})
    assert planned.status_code == 404
    assert "Open WebUI target 'nope' not found." in text_of(planned.text)
    assert (await api.client.post("/admin/owui/nope/apply", data={"csrf": csrf})).status_code == 404
    assert await events(api, "owui.apply") == []
    changed = await api.client.post(
        "/admin/owui/nope/settings", data=settings(csrf), follow_redirects=True
    )
    assert changed.status_code == 404
    assert "Open WebUI target 'nope' not found." in text_of(changed.text)


# --- forgetting -------------------------------------------------------------------------------


async def test_forgetting_needs_the_confirmation(
    api: Api, runtime: Runtime, database: Database
) -> None:
    csrf = await signed_in(api)
    await register(runtime, "http://chat.example.com", "sk-x")

    page = await api.client.get("/admin/owui/chat")
    assert 'href="/admin/owui/chat/forget"' in page.text
    assert 'action="/admin/owui/chat/forget"' not in page.text  # a link to the confirmation
    confirmation = await api.client.get("/admin/owui/chat/forget")
    assert confirmation.status_code == 200
    assert "Forget “chat”?" in confirmation.text
    assert 'action="/admin/owui/chat/forget"' in confirmation.text
    assert len(await listed(api)) == 1
    await refused(database, api.client.post("/admin/owui/chat/forget", data={}), 403)

    forgotten = await api.client.post(
        "/admin/owui/chat/forget", data={"csrf": csrf}, follow_redirects=True
    )

    assert "Target “chat” forgotten." in forgotten.text
    assert await listed(api) == []
    assert "No Open WebUI target yet." in forgotten.text
    again = await api.client.post(
        "/admin/owui/chat/forget", data={"csrf": csrf}, follow_redirects=True
    )
    assert "Open WebUI target 'chat' not found." in text_of(again.text)


# --- who may ----------------------------------------------------------------------------------

POSTS = {
    "/admin/owui": {"name": "sneaky", "base_url": "http://x", "api_key": "k"},
    "/admin/owui/chat/plan": {},
    "/admin/owui/chat/apply": {},
    "/admin/owui/chat/forget": {},
    "/admin/owui/chat/settings": {"base_url": "http://x", "reconcile_minutes": "5"},
}


async def test_signed_out_visitors_are_sent_to_sign_in(
    api: Api, runtime: Runtime, database: Database
) -> None:
    await api.admin()
    await register(runtime, "http://chat.example.com", "sk-x")
    for path in ("/admin/owui", "/admin/owui/chat", "/admin/owui/chat/forget"):
        response = await api.client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/admin/login?next=")
    for path, data in POSTS.items():
        response = await refused(database, api.client.post(path, data=data), 303)
        assert response.headers["location"].startswith("/admin/login")


async def test_non_admins_are_refused(api: Api, runtime: Runtime, database: Database) -> None:
    user = await api.user("user")
    await register(runtime, "http://chat.example.com", "sk-x")
    session = cookies.issue_session(user.id, secret=SECRET)
    api.client.cookies.set(cookies.COOKIE, session)
    csrf = cookies.csrf_token(session, secret=SECRET)
    for path in ("/admin/owui", "/admin/owui/chat", "/admin/owui/chat/forget"):
        response = await api.client.get(path)
        assert response.status_code == 403
        assert "Only administrators may use this page." in response.text
    for path, data in POSTS.items():
        await refused(database, api.client.post(path, data={"csrf": csrf, **data}), 403)


async def test_plan_and_apply_need_the_forms_token(
    api: Api, runtime: Runtime, database: Database
) -> None:
    await signed_in(api)
    await register(runtime, "http://chat.example.com", "sk-x")
    for path in ("/admin/owui/chat/plan", "/admin/owui/chat/apply"):
        for data in ({}, {"csrf": "forged"}):
            response = await refused(database, api.client.post(path, data=data), 403)
            assert "The form expired" in response.text


async def test_the_settings_need_the_forms_token(
    api: Api, runtime: Runtime, database: Database
) -> None:
    await signed_in(api)
    await register(runtime, "http://chat.example.com", "sk-x")
    for csrf in ("", "forged"):
        data = settings(
            csrf, base_url="http://elsewhere", api_key="sk-forged", reconcile_minutes="5"
        )
        response = await refused(
            database, api.client.post("/admin/owui/chat/settings", data=data), 403
        )
        assert "The form expired" in response.text
    (stored,) = await listed(api)
    assert (stored["base_url"], stored["reconcile_minutes"]) == ("http://chat.example.com", None)
