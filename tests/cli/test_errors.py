"""The real ``opengroups`` command: every failure is one line on standard error, never a
traceback, with the exit code the README documents (2 bad input or refused, 3 database
unreachable); ``--version`` and ``-h``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from opengroups import __version__
from tests.commands import run_cli
from tests.servers import free_port

# The line every command that reads the settings starts with, on standard error.
ANNOUNCED = f"opengroups {__version__}: data directory "


def problem(result: subprocess.CompletedProcess[str], *, skip: str = ANNOUNCED) -> str:
    """The one line of standard error that is not the data directory's (or does not hold
    ``skip``); fails the test when there are more, or a traceback."""
    lines = [
        line
        for line in result.stderr.splitlines()
        if not line.startswith(ANNOUNCED) and skip not in line
    ]
    assert "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A database of its own (these tests migrate it up and down)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'own.db'}"


@pytest.mark.parametrize(
    ("args", "settings", "says"),
    [
        pytest.param(["serve", "--port", "99999"], {}, "--port", id="port-out-of-range"),
        pytest.param(["serve", "--port", "eighty"], {}, "--port", id="port-not-a-number"),
        pytest.param(["serve"], {"OPENGROUPS_PORT": "eighty"}, "OPENGROUPS_PORT", id="port-env"),
        pytest.param(
            ["users", "list"], {"OPENGROUPS_LOG_LEVEL": "loud"}, "OPENGROUPS_LOG_LEVEL", id="level"
        ),
        pytest.param(
            ["serve"], {"OPENGROUPS_LOG_FORMAT": "xml"}, "OPENGROUPS_LOG_FORMAT", id="log-format"
        ),
        pytest.param(["db", "upgrade", "9999"], {}, "unknown revision '9999'", id="revision"),
        pytest.param(["no-such-command"], {}, "No such command", id="command"),
        pytest.param(
            ["users", "create", "--email", "a@example.com", "--name", "A", "--role", "root"],
            {},
            "--role",
            id="role-choice",
        ),
        pytest.param(
            ["users", "list"],
            {"OPENGROUPS_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/x"},
            "postgresql+asyncpg://postgres@127.0.0.1:5432/x",
            id="postgresql-without-asyncpg",
        ),
        pytest.param(
            ["db", "copy", "--to", "postgresql://postgres@127.0.0.1:5432/x"],
            {},
            "postgresql+asyncpg://",
            id="copy-target-without-asyncpg",
        ),
        pytest.param(
            ["info"], {"OPENGROUPS_ENV_FILE": "/nonexistent/opengroups.env"}, "OPENGROUPS_ENV_FILE"
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], settings: dict[str, str], says: str, sqlite_url: str, tmp_path: Path
) -> None:
    result = run_cli(*args, database_url=sqlite_url, data_dir=tmp_path / "data", settings=settings)

    assert result.returncode == 2, result.stderr
    assert says in problem(result)
    assert result.stdout == ""


def test_export_to_a_missing_folder_exits_2_before_any_work(
    sqlite_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "bundle.json"

    result = run_cli("export", str(target), database_url=sqlite_url, data_dir=tmp_path / "data")

    assert result.returncode == 2
    assert str(tmp_path / "missing") in problem(result)
    assert not (tmp_path / "own.db").exists()  # refused before opening the database


@pytest.mark.parametrize(
    "command",
    [["users", "list"], ["db", "current"], ["db", "upgrade"], ["serve", "--port"]],
)
def test_postgresql_down_exits_3(command: list[str], tmp_path: Path) -> None:
    nobody_listens = f"postgresql+asyncpg://postgres:pw@127.0.0.1:{free_port()}/opengroups"
    if command[-1] == "--port":
        command = [*command, str(free_port())]

    result = run_cli(*command, database_url=nobody_listens, data_dir=tmp_path / "data")

    assert result.returncode == 3, result.stderr
    # (serve logs its start-up line first: every other line is the one error.)
    assert "the database cannot be reached" in problem(result, skip=" INFO ")
    assert ":pw@" not in result.stderr  # the password is never shown


def test_db_upgrade_reports_what_it_did_and_refuses_to_go_back(
    sqlite_url: str, tmp_path: Path
) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, database_url=sqlite_url, data_dir=tmp_path / "data")

    empty = cli("db", "current")
    partial = cli("db", "upgrade", "0003")
    at_0003 = cli("db", "current")
    back = cli("db", "upgrade", "0002")
    still = cli("db", "current")
    full = cli("db", "upgrade")
    again = cli("db", "upgrade", "0003")
    same = cli("db", "upgrade", "head")

    assert (empty.returncode, empty.stdout) == (0, "none\n")
    assert partial.returncode == 0
    assert "upgraded from an empty database to 0003" in partial.stderr
    assert at_0003.stdout == "0003\n"
    assert "behind head" in at_0003.stderr
    assert back.returncode == 2
    assert "at 0003, newer than 0002" in problem(back)
    assert still.stdout == "0003\n"
    assert full.returncode == 0
    assert "from 0003 to" in full.stderr
    assert "(head)" in full.stderr
    assert again.returncode == 2
    assert "newer than 0003" in problem(again)
    assert same.returncode == 0
    assert "already at" in same.stderr
    assert "nothing to do" in same.stderr


def test_db_history_lists_every_revision_and_marks_the_current(
    sqlite_url: str, tmp_path: Path
) -> None:
    run_cli("db", "upgrade", "0002", database_url=sqlite_url, data_dir=tmp_path / "data")

    result = run_cli("db", "history", database_url=sqlite_url, data_dir=tmp_path / "data")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line[:4] for line in lines[:3]] == ["0001", "0002", "0003"]
    assert [line for line in lines if "(current" in line] == [lines[1]]
    assert lines[-1].endswith("(head)")


def test_db_current_on_the_migrated_database(migrated: str, tmp_path: Path) -> None:
    from opengroups.kit.migrate import HEAD

    result = run_cli("db", "current", database_url=migrated, data_dir=tmp_path)

    assert (result.returncode, result.stdout) == (0, f"{HEAD}\n")
    assert "head" in result.stderr


def test_version_prints_the_version() -> None:
    result = run_cli("--version", database_url="unused", data_dir=Path("unused"))

    assert (result.returncode, result.stdout) == (0, f"opengroups {__version__}\n")


@pytest.mark.parametrize("command", [[], ["users"], ["users", "create"], ["db", "upgrade"]])
def test_dash_h_is_help(command: list[str]) -> None:
    short = run_cli(*command, "-h", database_url="unused", data_dir=Path("unused"))
    long = run_cli(*command, "--help", database_url="unused", data_dir=Path("unused"))

    assert short.returncode == 0, short.stderr
    assert short.stdout == long.stdout
    assert short.stdout.startswith("Usage: opengroups")


def test_help_shows_flags_as_flags_and_choices_as_choices() -> None:
    imports = run_cli("import", "-h", database_url="unused", data_dir=Path("unused")).stdout
    users = run_cli("users", "create", "-h", database_url="unused", data_dir=Path("unused"))

    assert "<bool>" not in imports
    assert "--dry-run " in imports
    assert "<fail|skip|overwrite>" in imports
    assert "<admin|user|pending>" in users.stdout


def test_unexpected_failures_exit_1_in_one_line(tmp_path: Path) -> None:
    # A data directory that cannot be made: a file is in the way.
    blocker = tmp_path / "file"
    blocker.write_text("")

    result = run_cli(
        "users",
        "list",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        data_dir=blocker / "data",
    )

    assert result.returncode == 1
    assert str(blocker) in problem(result)
