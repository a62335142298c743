"""Settings that are checked when read: database URLs, and how they are shown."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from opengroups.config import Settings, check_database_url, display_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+asyncpg://ada:s3cr3t@db:5432/og", "postgresql+asyncpg://ada:***@db:5432/og"),
        ("postgresql+asyncpg://ada:p@ss@db/og", "postgresql+asyncpg://ada:***@db/og"),
        ("postgresql+asyncpg://ada@db/og", "postgresql+asyncpg://ada@db/og"),
        (
            "sqlite+aiosqlite:////var/lib/og/opengroups.db",
            "sqlite+aiosqlite:////var/lib/og/opengroups.db",
        ),
    ],
)
def test_the_password_of_a_database_url_is_never_shown(url: str, shown: str) -> None:
    assert display_url(url) == shown


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("postgresql://ada@db/og", "postgresql+asyncpg://ada@db/og"),
        ("postgres://ada@db/og", "postgresql+asyncpg://ada@db/og"),
        ("sqlite:////tmp/x.db", "sqlite+aiosqlite:////tmp/x.db"),
        ("mysql://ada@db/og", "not a database URL opengroups can use"),
        ("not a url", "not a database URL opengroups can use"),
    ],
)
def test_database_urls_without_an_asyncio_driver_are_refused(url: str, hint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(hint)):
        check_database_url(url)
    with pytest.raises(ValidationError):
        Settings(_env_file=None, database_url=url)


def test_log_settings_ignore_case() -> None:
    settings = Settings(_env_file=None, log_level="DEBUG", log_format="JSON")

    assert (settings.log_level, settings.log_format) == ("debug", "json")
