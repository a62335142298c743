"""The command line starts light: declaring the commands imports neither the web framework,
the database layer nor the application (each command imports what it needs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("fastapi", "sqlalchemy", "opengroups.app", "opengroups.bootstrap", "pydantic_settings")


def _imported_by(code: str) -> list[str]:
    """The heavy modules loaded once ``code`` ran, in a fresh interpreter."""
    listing = f"' '.join(m for m in {HEAVY!r} if m in sys.modules)"
    probe = f"import sys; {code}; print('LOADED:', {listing}, file=sys.stderr)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    line = next(line for line in result.stderr.splitlines() if line.startswith("LOADED:"))
    return line.removeprefix("LOADED:").split()


def test_importing_the_command_line_loads_nothing_heavy() -> None:
    assert _imported_by("import opengroups.cli.main") == []


@pytest.mark.parametrize("args", [["--help"], ["users", "--help"], ["db", "--help"]])
def test_help_loads_nothing_heavy(args: list[str]) -> None:
    code = f"from opengroups.cli.main import app; app({args!r}, standalone_mode=False)"
    assert _imported_by(code) == []


def test_a_probe_that_imports_the_app_would_notice() -> None:
    # The probe above is not vacuous: importing the app loads all of them.
    assert set(_imported_by("import opengroups.app")) == set(HEAVY)
