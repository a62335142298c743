"""The requests the interoperability test sends, in order, to Open WebUI and to opengroups,
and the function that sends them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.interop.shapes import Answer

ADMIN_PASSWORD = "admin-password-1"
USER_PASSWORD = "alice-password-1"
GROUPS, USERS, AUTHS = "/api/v1/groups", "/api/v1/users", "/api/v1/auths"


@dataclass(frozen=True)
class Step:
    """One request. ``{name}`` in the path or body stands for the id of the answer kept as
    ``name``; ``who`` is the kept account whose token is sent (``None``: no credentials);
    ``keep`` names the answer for later steps."""

    name: str
    method: str
    path: str
    body: Any = None
    who: str | None = "admin"
    keep: str | None = None


ENGINEERING = f"{GROUPS}/id/{{engineering}}"
UNKNOWN_GROUP = f"{GROUPS}/id/no-such-group"

STEPS = (
    Step(
        "sign up the first user",
        "POST",
        f"{AUTHS}/signup",
        {"name": "Admin", "email": "admin@example.com", "password": ADMIN_PASSWORD},
        who=None,
        keep="admin",
    ),
    Step(
        "sign in as the admin",
        "POST",
        f"{AUTHS}/signin",
        {"email": "admin@example.com", "password": ADMIN_PASSWORD},
        who=None,
        keep="admin",
    ),
    Step(
        "a second sign-up",
        "POST",
        f"{AUTHS}/signup",
        {"name": "Carol", "email": "carol@example.com", "password": USER_PASSWORD},
        who=None,
    ),
    Step("the admin's session", "GET", f"{AUTHS}/"),
    Step(
        "add a user",
        "POST",
        f"{AUTHS}/add",
        {"name": "Alice", "email": "alice@example.com", "password": USER_PASSWORD, "role": "user"},
        keep="alice",
    ),
    Step(
        "add another user",
        "POST",
        f"{AUTHS}/add",
        {"name": "Bob", "email": "bob@example.com", "password": USER_PASSWORD, "role": "user"},
        keep="bob",
    ),
    Step(
        "sign in as the user",
        "POST",
        f"{AUTHS}/signin",
        {"email": "alice@example.com", "password": USER_PASSWORD},
        who=None,
        keep="alice",
    ),
    Step("the user's session", "GET", f"{AUTHS}/", who="alice"),
    Step(
        "create a group that does not say share",
        "POST",
        f"{GROUPS}/create",
        {
            "name": "Engineering",
            "description": "Builds things",
            "permissions": {"workspace": {"models": True}},
        },
        keep="engineering",
    ),
    Step(
        "create a group shared with everyone",
        "POST",
        f"{GROUPS}/create",
        {"name": "Announcements", "description": "", "data": {"config": {"share": True}}},
        keep="announcements",
    ),
    Step(
        "create a group nobody may share to",
        "POST",
        f"{GROUPS}/create",
        {"name": "Board", "description": "", "data": {"config": {"share": False}}},
        keep="board",
    ),
    Step("list groups", "GET", f"{GROUPS}/"),
    Step("get a group", "GET", ENGINEERING),
    Step("a group's info", "GET", f"{ENGINEERING}/info"),
    Step(
        "update a group with its whole form",
        "POST",
        f"{ENGINEERING}/update",
        {
            "name": "Engineering",
            "description": "Builds and runs things",
            "permissions": None,
            "data": {"config": {"share": "members"}},
            "parent_group_id": None,
        },
    ),
    Step(
        "add users to a group",
        "POST",
        f"{ENGINEERING}/users/add",
        {"user_ids": ["{alice}", "{bob}"]},
    ),
    Step("a group's users", "POST", f"{ENGINEERING}/users"),
    Step("a group's members", "GET", f"{ENGINEERING}/members"),
    Step(
        "remove a user from a group", "POST", f"{ENGINEERING}/users/remove", {"user_ids": ["{bob}"]}
    ),
    Step("export a group", "GET", f"{ENGINEERING}/export"),
    Step("preview a group's access", "GET", f"{ENGINEERING}/preview"),
    Step("list users", "GET", f"{USERS}/?page=1"),
    Step("get a user", "GET", f"{USERS}/{{alice}}"),
    Step("a user's info", "GET", f"{USERS}/{{alice}}/info"),
    Step("a user's groups", "GET", f"{USERS}/{{alice}}/groups"),
    Step("the user's own groups", "GET", f"{USERS}/groups", who="alice"),
    Step("groups as a member sees them", "GET", f"{GROUPS}/", who="alice"),
    Step("groups a member may share to", "GET", f"{GROUPS}/?share=true", who="alice"),
    Step("the user's permissions", "GET", f"{USERS}/permissions", who="alice"),
    Step("the admin's permissions", "GET", f"{USERS}/permissions"),
    Step("default permissions", "GET", f"{USERS}/default/permissions"),
    Step("built-in default permissions", "GET", f"{USERS}/default/permissions/defaults"),
    # Refusals.
    Step("no credentials", "GET", f"{GROUPS}/", who=None),
    Step(
        "a wrong password",
        "POST",
        f"{AUTHS}/signin",
        {"email": "alice@example.com", "password": "not-the-password"},
        who=None,
    ),
    Step(
        "a user creating a group",
        "POST",
        f"{GROUPS}/create",
        {"name": "Mine", "description": ""},
        who="alice",
    ),
    Step("a user listing users", "GET", f"{USERS}/?page=1", who="alice"),
    Step("an unknown group", "GET", UNKNOWN_GROUP),
    Step("an unknown group's users", "POST", f"{UNKNOWN_GROUP}/users"),
    Step(
        "update an unknown group",
        "POST",
        f"{UNKNOWN_GROUP}/update",
        {"name": "Nobody", "description": ""},
    ),
    Step("an unknown user", "GET", f"{USERS}/no-such-user"),
    Step(
        "add an unknown user to a group",
        "POST",
        f"{ENGINEERING}/users/add",
        {"user_ids": ["no-such-user"]},
    ),
    Step("create a group without a name", "POST", f"{GROUPS}/create", {"description": "Nameless"}),
    Step(
        "user ids that are not a list",
        "POST",
        f"{ENGINEERING}/users/add",
        {"user_ids": "{alice}"},
    ),
    Step("delete a group", "DELETE", f"{GROUPS}/id/{{board}}/delete"),
    Step("delete it again", "DELETE", f"{GROUPS}/id/{{board}}/delete"),
    Step("list groups after the deletion", "GET", f"{GROUPS}/"),
    Step("sign out", "POST", f"{AUTHS}/signout", who="alice"),
    Step("the session after signing out", "GET", f"{AUTHS}/", who="alice"),
)


def _fill(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every ``{name}`` in its strings replaced by the kept id."""
    if isinstance(value, str):
        return value.format_map(ids)
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


def run(base_url: str) -> dict[str, Answer]:
    """Send every step to the server at ``base_url``, in order; its answers by step name."""
    kept: dict[str, dict[str, Any]] = {}
    answers: dict[str, Answer] = {}
    with httpx.Client(base_url=base_url, timeout=60) as http:
        for step in STEPS:
            ids = {name: str(answer["id"]) for name, answer in kept.items()}
            headers = {}
            if step.who is not None:
                headers["Authorization"] = f"Bearer {kept[step.who]['token']}"
            # Open WebUI sets a token cookie on sign-in: only the header may authenticate.
            http.cookies.clear()
            response = http.request(
                step.method,
                _fill(step.path, ids),
                json=_fill(step.body, ids) if step.body is not None else None,
                headers=headers,
            )
            answers[step.name] = Answer.of(response)
            if step.keep is not None:
                if response.status_code != 200:
                    pytest.fail(
                        f"{base_url}: {step.name!r} answered {response.status_code}: "
                        f"{response.text}; the later steps need its answer"
                    )
                kept[step.keep] = {**kept.get(step.keep, {}), **response.json()}
    return answers
