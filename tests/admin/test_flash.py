"""Flash messages cannot be forged: only a redirect of this admin's own session shows text, for
a short while; text put in an address by anyone else shows nothing."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from opengroups.admin import flash
from opengroups.admin import session as cookies
from tests.admin.markup import text_of
from tests.admin.test_access import SECRET
from tests.admin.test_pages import signed_in
from tests.conftest import Api

SESSION = "the-session-cookie"
NOW = 1_800_000_000.0


def test_a_sealed_flash_opens_in_its_session_only() -> None:
    token = flash.seal(flash.Flash(message="Saved."), session_token=SESSION, secret=SECRET, now=NOW)

    assert flash.opened(token, session_token=SESSION, secret=SECRET, now=NOW) == flash.Flash(
        message="Saved."
    )
    assert flash.opened(token, session_token="another", secret=SECRET, now=NOW) is None
    assert flash.opened(token, session_token=SESSION, secret="other-secret", now=NOW) is None


def test_a_flash_expires() -> None:
    token = flash.seal(flash.Flash(error="No."), session_token=SESSION, secret=SECRET, now=NOW)
    late = NOW + flash.FLASH_SECONDS + 1

    assert flash.opened(token, session_token=SESSION, secret=SECRET, now=NOW + 1) is not None
    assert flash.opened(token, session_token=SESSION, secret=SECRET, now=late) is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "no-dot",
        "a.b.c",
        "eyJtIjoiSGFja2VkIiwiZSI6IiIsIngiOjk5OTk5OTk5OTl9.0000000000000000",
        "!!!.0123456789abcdef0123456789abcdef",
    ],
)
def test_a_token_not_sealed_here_opens_nothing(token: str) -> None:
    assert flash.opened(token, session_token=SESSION, secret=SECRET, now=NOW) is None


def test_changing_the_text_breaks_the_seal() -> None:
    token = flash.seal(flash.Flash(message="Saved."), session_token=SESSION, secret=SECRET, now=NOW)
    payload, mac = token.split(".")
    forged = flash.seal(flash.Flash(message="Hacked"), session_token="x", secret="y", now=NOW)

    swapped = f"{forged.split('.')[0]}.{mac}"
    assert flash.opened(swapped, session_token=SESSION, secret=SECRET, now=NOW) is None
    assert flash.opened(f"{payload}.{mac}", session_token=SESSION, secret=SECRET, now=NOW)


def test_long_texts_are_cut() -> None:
    token = flash.seal(flash.Flash(error="x" * 5000), session_token=SESSION, secret=SECRET, now=NOW)

    opened = flash.opened(token, session_token=SESSION, secret=SECRET, now=NOW)
    assert opened is not None
    assert opened.error == "x" * flash.MAX_TEXT


async def test_text_in_the_address_is_never_shown(api: Api) -> None:
    await signed_in(api)
    bait = "Your session expired, sign in at evil.example"

    for query in (
        {"msg": bait},
        {"error": bait},
        {"flash": bait},
        {"flash": flash.seal(flash.Flash(error=bait), session_token="other", secret=SECRET)},
    ):
        page = await api.client.get("/admin/groups", params=query)
        assert page.status_code == 200
        assert "evil.example" not in page.text, query


async def test_a_redirect_shows_its_message_in_the_same_session_only(api: Api) -> None:
    csrf = await signed_in(api)

    created = await api.client.post("/admin/groups/create", data={"csrf": csrf, "name": "Team"})

    location = created.headers["location"]
    assert "Group created" not in location  # the text is sealed, not readable in the address
    shown = await api.client.get(location)
    assert "Group created." in text_of(shown.text)
    other = await api.user("admin")
    api.client.cookies.set(
        cookies.COOKIE, cookies.issue_session(other.id, secret=SECRET), path="/admin"
    )
    assert "Group created." not in (await api.client.get(location)).text


async def test_an_old_flash_shows_nothing(api: Api) -> None:
    await signed_in(api)
    session = api.client.cookies.get(cookies.COOKIE)
    assert session is not None
    old = flash.seal(
        flash.Flash(message="Group created."),
        session_token=session,
        secret=SECRET,
        now=time.time() - flash.FLASH_SECONDS - 5,
    )
    fresh = flash.seal(flash.Flash(message="Group created."), session_token=session, secret=SECRET)

    stale = await api.client.get("/admin/groups", params={"flash": old})
    assert "Group created." not in stale.text
    page = await api.client.get("/admin/groups", params={"flash": fresh})
    assert "Group created." in page.text


async def test_a_redirect_keeps_the_other_parameters_of_its_address(api: Api) -> None:
    csrf = await signed_in(api)
    group = await api.group("Team")

    response = await api.client.post(
        f"/admin/groups/{group['id']}/members/add",
        data={"csrf": csrf, "membership": "direct", "query": "bea", "find": "cid"},
    )

    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert {key: value for key, value in query.items() if key != "flash"} == {
        "membership": ["direct"],
        "query": ["bea"],
        "find": ["cid"],
    }
    shown = await api.client.get(response.headers["location"])
    assert "Tick the users to add first." in shown.text
