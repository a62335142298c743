"""opengroups beside a real Open WebUI 0.12.4: the same requests (``scenario.STEPS``), in the
same order, sent to both servers, and each answer compared in status and shape (``shapes.py``:
keys and JSON types, recursively; values, ids and timestamps do not count).

Where opengroups answers differently on purpose, ``DECLARED`` says so with the number of the
divergence (``docs/divergences.md``) that explains it. Any other difference fails, and so does a
declared difference that no longer shows: a new difference is a bug to fix, or a divergence
to write down first.

Opt-in (``pytest -m interop tests/interop``) and skipped unless Open WebUI is installed
(``scripts/install-openwebui.sh``). Only loopback traffic: both servers listen on 127.0.0.1.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.interop.openwebui import executable, running_openwebui
from tests.interop.scenario import STEPS, Step, run
from tests.interop.shapes import ABSENT, Answer, Difference, differences
from tests.servers import clean_environment, empty, running_server

pytestmark = pytest.mark.interop
needs_openwebui = pytest.mark.skipif(
    not executable().exists(),
    reason=f"Open WebUI 0.12.4 is not installed: no {executable()} "
    "(run scripts/install-openwebui.sh, or set OPENGROUPS_OPENWEBUI_HOME)",
)
DIVERGENCES = Path(__file__).parents[2] / "docs" / "divergences.md"


def status(openwebui: int, opengroups: int) -> Difference:
    return Difference("status", str(openwebui), str(opengroups))


def body(openwebui: str, opengroups: str) -> Difference:
    """Bodies of different outcomes, by their outline (``shapes.outline``)."""
    return Difference("body", openwebui, opengroups)


def only_in_opengroups(under: str, *keys: str, kind: str = "null") -> tuple[Difference, ...]:
    return tuple(Difference(f"{under}.{key}", ABSENT, kind) for key in keys)


@dataclass(frozen=True)
class Declared:
    """Differences opengroups makes on purpose in one step, with the number of the divergence
    (``docs/divergences.md``) that explains them."""

    step: str
    divergence: int
    differences: tuple[Difference, ...]


GROUP = (
    "object{created_at,data,description,id,member_count,meta,name,parent_group_id,permissions,"
    "updated_at,user_id}"
)
SESSION = (
    "object{bio,date_of_birth,email,expires_at,gender,id,name,permissions,profile_image_url,role,"
    "status_emoji,status_expires_at,status_message,token,token_type}"
)
ERROR = "object{detail}"
PROFILE = ("bio", "gender", "date_of_birth", "status_emoji", "status_message", "status_expires_at")
DECLARED = (
    Declared("a user creating a group", 1, (status(401, 403),)),
    Declared("a user listing users", 1, (status(401, 403),)),
    Declared("an unknown group's users", 2, (status(200, 404), body("array", ERROR))),
    Declared(
        "add an unknown user to a group",
        3,
        (status(200, 422), body(GROUP, ERROR)),
    ),
    Declared("the user's own groups", 8, (Difference("$[].permissions", "object", "null"),)),
    Declared("groups as a member sees them", 8, (Difference("$[].permissions", "object", "null"),)),
    Declared(
        "groups a member may share to", 8, (Difference("$[].permissions", "null|object", "null"),)
    ),
    Declared("a group's members", 16, only_in_opengroups("$.items[]", "sources", kind="array")),
    Declared("an unknown user", 19, (status(400, 404),)),
    Declared("export a group", 23, (Difference("$.meta", "null", "object"),)),
    Declared(
        "the session after signing out",
        36,
        (status(200, 401), body(SESSION, ERROR)),
    ),
    *(
        Declared(step, 46, only_in_opengroups("$", *PROFILE))
        for step in ("sign up the first user", "sign in as the admin", "sign in as the user")
    ),
    Declared("a second sign-up", 47, (status(403, 200), body(ERROR, SESSION))),
    *(
        Declared(
            step,
            46,
            (
                *only_in_opengroups("$", *PROFILE),
                *only_in_opengroups("$", "expires_at", kind="number"),
                *only_in_opengroups("$", "permissions", kind="object"),
            ),
        )
        for step in ("add a user", "add another user")
    ),
    Declared(
        "a group's users",
        46,
        (
            *only_in_opengroups("$[]", "gender", "date_of_birth"),
            *only_in_opengroups("$[]", "profile_image_url", kind="string"),
        ),
    ),
    Declared(
        "a group's members",
        46,
        (
            *only_in_opengroups("$.items[]", "gender", "date_of_birth"),
            *only_in_opengroups("$.items[]", "profile_image_url", kind="string"),
            Difference("$.items[].last_active_at", "null", "number"),
        ),
    ),
    Declared(
        "preview a group's access",
        46,
        (
            Difference("$.default_models.local", "null", "array"),
            *only_in_opengroups("$", "resources", kind="object"),
        ),
    ),
    Declared(
        "a user's info",
        46,
        (
            *only_in_opengroups("$", "gender", "date_of_birth"),
            *only_in_opengroups("$", "profile_image_url", kind="string"),
        ),
    ),
)


@pytest.fixture(scope="module")
def openwebui_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Open WebUI 0.12.4 on a fresh data folder, stopped after the module."""
    with running_openwebui(tmp_path_factory.mktemp("openwebui")) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def openwebui_answers(openwebui_url: str) -> dict[str, Answer]:
    return run(openwebui_url)


@pytest.fixture(scope="module")
def opengroups_url(migrated: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``opengroups serve`` on the suite's database, emptied first."""
    empty(migrated)
    workdir = tmp_path_factory.mktemp("opengroups")
    env = clean_environment(
        OPENGROUPS_DATA_DIR=str(workdir / "data"), OPENGROUPS_DATABASE_URL=migrated
    )
    with running_server(env, workdir, workdir / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def opengroups_answers(opengroups_url: str) -> dict[str, Answer]:
    return run(opengroups_url)


@needs_openwebui
@pytest.mark.parametrize("step", STEPS, ids=[step.name for step in STEPS])
def test_opengroups_answers_as_open_webui_does(
    step: Step,
    openwebui_answers: dict[str, Answer],
    opengroups_answers: dict[str, Answer],
) -> None:
    theirs, ours = openwebui_answers[step.name], opengroups_answers[step.name]
    expected = {d for entry in DECLARED if entry.step == step.name for d in entry.differences}

    found = differences(theirs, ours)

    assert found == expected, _explain(found, expected, theirs, ours)


def _explain(
    found: set[Difference], expected: set[Difference], theirs: Answer, ours: Answer
) -> str:
    lines = [f"not declared: {d}" for d in sorted(found - expected)]
    lines += [f"declared, not found: {d}" for d in sorted(expected - found)]
    lines += [
        f"Open WebUI: {theirs.status} {theirs.body}",
        f"opengroups: {ours.status} {ours.body}",
    ]
    return "\n".join(lines)


def test_the_tables_name_steps_and_divergences_that_exist() -> None:
    names = [step.name for step in STEPS]
    assert len(set(names)) == len(names)
    tabled = {entry.step for entry in DECLARED}
    assert tabled <= set(names)
    listed = re.findall(r"^\| (\d+) \|", DIVERGENCES.read_text(), flags=re.MULTILINE)
    assert {entry.divergence for entry in DECLARED} <= {int(number) for number in listed}
