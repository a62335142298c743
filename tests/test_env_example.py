"""``.env.example`` lists every setting, and copied as ``.env`` it changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from opengroups.config import Settings, env_file, load_settings

EXAMPLE = Path(__file__).parents[1] / ".env.example"


def test_every_setting_is_listed() -> None:
    text = EXAMPLE.read_text()
    missing = [name for name in Settings.model_fields if f"OPENGROUPS_{name.upper()}=" not in text]
    assert missing == []


def test_the_example_as_a_dot_env_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("OPENGROUPS_"):
            monkeypatch.delenv(key)
    (tmp_path / ".env").write_text(EXAMPLE.read_text())
    monkeypatch.chdir(tmp_path)
    assert env_file() == tmp_path / ".env"  # the file below is read, not some other
    from_example = load_settings()
    defaults = Settings(_env_file=None)
    differing = {
        name
        for name in Settings.model_fields
        if getattr(from_example, name) != getattr(defaults, name)
    }
    assert differing <= {"data_dir", "database_url", "secret_key"}, differing
