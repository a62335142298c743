"""Where an installation's files are: a data directory that does not depend on the working
directory (the platform's, unless ``OPENGROUPS_DATA_DIR`` says), an old ``./data`` kept with a
warning, and the ``.env`` file looked up in documented places."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from opengroups.config import EnvFileMissing, env_file, load_settings, platform_data_dir
from tests.conftest import FAST_PASSWORD_ENV
from tests.servers import OPENGROUPS, clean_environment


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The platform's data directories under ``tmp_path`` (Linux: ``$XDG_DATA_HOME``), and no
    ``OPENGROUPS_*`` variable set."""
    for key in [key for key in os.environ if key.startswith("OPENGROUPS_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert platform_data_dir() == tmp_path / "share" / "opengroups"
    return tmp_path


def folder(home: Path, name: str) -> Path:
    path = home / name
    path.mkdir()
    return path


def opengroups(
    home: Path, cwd: Path, *args: str, **settings: str
) -> subprocess.CompletedProcess[str]:
    """The real command, run from ``cwd``, with no data directory or database set."""
    env = clean_environment(XDG_DATA_HOME=str(home / "share"), **FAST_PASSWORD_ENV, **settings)
    return subprocess.run(
        [OPENGROUPS, *args],
        env=env,
        cwd=cwd,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_command_run_from_another_folder_uses_the_same_database(home: Path) -> None:
    here, there = folder(home, "here"), folder(home, "there")

    made = opengroups(home, here, "users", "create", "--email", "a@example.com", "--name", "A")
    listed = opengroups(home, there, "users", "list", "--json")

    assert made.returncode == 0, made.stderr
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [made.stdout.strip()]
    data_dir = home / "share" / "opengroups"
    assert (data_dir / "opengroups.db").is_file()
    assert f"data directory {data_dir};" in listed.stderr
    assert list(here.iterdir()) == list(there.iterdir()) == []


def test_an_old_data_folder_in_the_working_directory_is_kept_with_a_warning(home: Path) -> None:
    old = folder(home, "old")
    made = opengroups(
        home,
        old,
        "users",
        "create",
        "--email",
        "a@example.com",
        "--name",
        "A",
        OPENGROUPS_DATA_DIR="data",
    )

    listed = opengroups(home, old, "users", "list", "--json")
    info = opengroups(home, old, "info")

    assert made.returncode == 0, made.stderr
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [made.stdout.strip()]
    warning = [line for line in listed.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1, listed.stderr
    assert f"OPENGROUPS_DATA_DIR={old / 'data'}" in warning[0]
    assert f"mv {old / 'data'} {home / 'share' / 'opengroups'}" in warning[0]
    assert not (home / "share" / "opengroups" / "opengroups.db").exists()
    assert f"data directory: {old / 'data'} (./data of the working directory" in info.stdout


def test_info_names_the_env_file_of_the_data_directory(home: Path) -> None:
    data_dir = home / "share" / "opengroups"
    data_dir.mkdir(parents=True)
    (data_dir / ".env").write_text("OPENGROUPS_LOG_FORMAT=json\n")

    result = opengroups(home, folder(home, "elsewhere"), "info")

    assert result.returncode == 0, result.stderr
    assert f"settings file: {data_dir / '.env'}\n" in result.stdout
    assert "format json" in result.stdout
    assert f"data directory: {data_dir} (the default for this user)" in result.stdout


def test_env_file_lookup_order(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = home / "share" / "opengroups"
    data_dir.mkdir(parents=True)
    (data_dir / ".env").write_text("OPENGROUPS_LOG_FORMAT=json\n")
    work = folder(home, "work")
    monkeypatch.chdir(work)
    assert (env_file(), load_settings().log_format) == (data_dir / ".env", "json")

    (work / ".env").write_text("OPENGROUPS_LOG_FORMAT=keyvalue\n")
    assert (env_file(), load_settings().log_format) == (work / ".env", "keyvalue")

    named = home / "named.env"
    named.write_text("OPENGROUPS_LOG_FORMAT=text\nOPENGROUPS_LOG_LEVEL=debug\n")
    monkeypatch.setenv("OPENGROUPS_ENV_FILE", str(named))
    assert env_file() == named
    assert (load_settings().log_format, load_settings().log_level) == ("text", "debug")

    monkeypatch.setenv("OPENGROUPS_LOG_LEVEL", "warning")  # the environment wins over the file
    assert load_settings().log_level == "warning"

    monkeypatch.setenv("OPENGROUPS_ENV_FILE", str(home / "absent.env"))
    with pytest.raises(EnvFileMissing):
        load_settings()


def test_the_env_file_of_a_data_directory_named_by_the_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = home / "srv"
    named.mkdir()
    (named / ".env").write_text("OPENGROUPS_INSTANCE_NAME=from-srv\n")
    monkeypatch.chdir(folder(home, "work"))
    monkeypatch.setenv("OPENGROUPS_DATA_DIR", str(named))

    settings = load_settings()

    assert (settings.data_dir, settings.instance_name) == (named, "from-srv")
    assert settings.legacy_notice() is None


@pytest.mark.parametrize(
    ("holds", "kept"),
    [
        pytest.param(["opengroups.db"], True, id="database"),
        pytest.param([".secret_key"], True, id="secret-key"),
        pytest.param([], False, id="empty-folder"),
        pytest.param(["something-else"], False, id="other-files"),
    ],
)
def test_an_old_data_folder_is_kept_only_when_it_holds_an_installation(
    home: Path, monkeypatch: pytest.MonkeyPatch, holds: list[str], kept: bool
) -> None:
    work = folder(home, "work")
    (work / "data").mkdir()
    for name in holds:
        (work / "data" / name).write_text("")
    monkeypatch.chdir(work)

    settings = load_settings()

    expected = work / "data" if kept else home / "share" / "opengroups"
    assert settings.data_dir == expected
    assert (settings.legacy_notice() is not None) == kept


def test_a_relative_data_dir_is_made_absolute(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder(home, "work"))
    monkeypatch.setenv("OPENGROUPS_DATA_DIR", "state")

    assert load_settings().data_dir == home / "work" / "state"
