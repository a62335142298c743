"""Settings read from the environment (prefix ``OPENGROUPS_``) or a ``.env`` file.

Where the files live does not depend on the working directory (docs/cli.md): the
data directory is ``OPENGROUPS_DATA_DIR``, else the platform's data directory for the user
(``platform_data_dir``); the one ``.env`` read is ``$OPENGROUPS_ENV_FILE``, else ``./.env``,
else the data directory's ``.env`` (``env_file``). An installation of the old default,
``./data`` in the working directory, is kept where it is, with a warning (``legacy_notice``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from opengroups.permissions.share import ShareSetting, parse_share

SECRET_KEY_FILE = ".secret_key"
DATABASE_FILE = "opengroups.db"
DATA_DIR_VARIABLE = "OPENGROUPS_DATA_DIR"
ENV_FILE_VARIABLE = "OPENGROUPS_ENV_FILE"
# The data directory's default before it moved to the platform's: relative to the working
# directory, so that a command run from another folder silently made a new, empty instance.
LEGACY_DATA_DIR = Path("data")
DATABASE_SCHEMES = ("sqlite+aiosqlite://", "postgresql+asyncpg://")
LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]
LogFormat = Literal["text", "json", "keyvalue"]


class EnvFileMissing(Exception):
    """``OPENGROUPS_ENV_FILE`` names a file that does not exist."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{ENV_FILE_VARIABLE} names {path}, which does not exist.")


def platform_data_dir() -> Path:
    """The platform's data directory for this user: ``$XDG_DATA_HOME/opengroups`` (by default
    ``~/.local/share/opengroups``) on Linux, ``~/Library/Application Support/opengroups`` on
    macOS, ``%LOCALAPPDATA%\\opengroups`` on Windows."""
    import platformdirs

    return Path(platformdirs.user_data_dir("opengroups", appauthor=False))


def legacy_data_dir() -> Path | None:
    """``./data`` when it holds an installation made with the old default (its database or its
    secret key): it is kept in use rather than silently replaced by an empty one."""
    candidate = Path.cwd() / LEGACY_DATA_DIR
    if (candidate / DATABASE_FILE).is_file() or (candidate / SECRET_KEY_FILE).is_file():
        return candidate
    return None


def default_data_dir() -> Path:
    """The data directory when ``OPENGROUPS_DATA_DIR`` is not set."""
    return legacy_data_dir() or platform_data_dir()


def env_file() -> Path | None:
    """The ``.env`` file to read: ``$OPENGROUPS_ENV_FILE`` (which must exist), else ``./.env``,
    else ``.env`` in the data directory that the environment names (or the default one); None
    when there is none. Raises ``EnvFileMissing``."""
    named = os.environ.get(ENV_FILE_VARIABLE, "").strip()
    if named:
        path = Path(named).expanduser().absolute()
        if not path.is_file():
            raise EnvFileMissing(path)
        return path
    data_dir = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    for candidate in (
        Path(".env"),
        (Path(data_dir).expanduser() if data_dir else default_data_dir()) / ".env",
    ):
        if candidate.is_file():
            return candidate.absolute()
    return None


class Settings(BaseSettings):
    """Every tunable of the service. See ``.env.example`` for the documentation of each."""

    # The ``.env`` file is found by ``load_settings`` (``env_file``), not from the working
    # directory alone.
    model_config = SettingsConfigDict(
        env_prefix="OPENGROUPS_", env_file=None, extra="ignore", validate_default=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = None
    secret_key: str | None = None
    jwt_expires_in: int = Field(default=4 * 7 * 24 * 3600, ge=60)
    default_user_role: Literal["pending", "user", "admin"] = "pending"
    enable_signup: bool = True
    # Written into each new group created without a ``share`` (Open WebUI 0.12.4 writes
    # "members"); groups stored without one read as ``true`` (``permissions.share``).
    default_group_share: ShareSetting = "members"
    default_group_id: str | None = None
    instance_name: str = "opengroups"
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    max_import_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    max_group_depth: int = Field(default=20, ge=1, le=1000)
    host: str = "127.0.0.1"
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed
    # (comma-separated, or "*"); none: the connecting address is the client's.
    trusted_proxies: str | None = None
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)
    migrate_on_start: bool = True
    permission_catalog: Path | None = None
    # A YAML or JSON file of identity providers (docs/identity-providers.md).
    identity_providers: Path | None = None
    audit_retention_days: int = Field(default=365, ge=0)
    # How often each server process looks for Open WebUI targets due for a reconcile
    # (``connector/reconcile.py``); 0: never in this process.
    owui_reconcile_tick_seconds: float = Field(default=5.0, ge=0, le=3600)
    password_hash_time_cost: int = Field(default=3, ge=1, le=100)
    password_hash_memory_kib: int = Field(default=65536, ge=1024, le=4 * 1024 * 1024)
    password_min_length: int = Field(default=8, ge=1, le=1024)
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    signin_window_seconds: int = Field(default=900, ge=1, le=7 * 24 * 3600)
    signin_max_failures_per_account: int = Field(default=5, ge=1)
    signin_max_failures_per_address: int = Field(default=50, ge=1)
    admin_bypass: bool = True
    # GET /auths/admin/details answers the primary admin's name and e-mail to signed-in users.
    show_admin_details: bool = False
    cache_validation: Literal["auto", "host", "database"] = "auto"
    log_level: LogLevel = "info"
    # One line per record: text for a terminal, json or keyvalue (logfmt) for a collector.
    log_format: LogFormat = "text"
    # Who may read /metrics (docs/operations.md): nobody (off: not served), the holders of
    # OPENGROUPS_METRICS_TOKEN as a bearer token (token), anyone who reaches the port (public).
    metrics: Literal["off", "token", "public"] = "off"
    metrics_token: str | None = Field(default=None, min_length=16)

    @field_validator("default_group_share", mode="before")
    @classmethod
    def _parse_share(cls, value: object) -> ShareSetting:
        return parse_share(value)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().absolute()

    @field_validator("log_level", "log_format", "metrics", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str | None) -> str | None:
        return check_database_url(value) if value else value

    @field_validator(
        "default_group_id",
        "permission_catalog",
        "identity_providers",
        "trusted_proxies",
        "metrics_token",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _metrics_token_given(self) -> Settings:
        if self.metrics == "token" and self.metrics_token is None:
            raise ValueError("OPENGROUPS_METRICS=token needs OPENGROUPS_METRICS_TOKEN")
        return self

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / DATABASE_FILE).resolve()}"

    def display_database_url(self) -> str:
        """The database URL as logs and messages show it: its password hidden."""
        return display_url(self.resolved_database_url())

    def legacy_notice(self) -> str | None:
        """A warning when the data directory is ``./data`` of the working directory because it
        holds an old installation (``legacy_data_dir``), saying how to stop depending on it."""
        if "data_dir" in self.model_fields_set or self.data_dir != legacy_data_dir():
            return None
        return (
            f"using {self.data_dir}, the data directory of the working directory (the old "
            "default): from another folder opengroups would not find it. Set "
            f"{DATA_DIR_VARIABLE}={self.data_dir}, or move it to the default place "
            f"(stop the server first): mv {self.data_dir} {platform_data_dir()}"
        )

    def resolved_secret_key(self) -> str:
        """The JWT signing secret; generated once and kept in the data directory when unset."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / SECRET_KEY_FILE
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key)
        return key


def check_database_url(url: str) -> str:
    """``url`` when it names a driver opengroups has; raises ``ValueError`` saying what to
    write otherwise (``postgresql://`` lacks the ``+asyncpg`` of the asyncio driver)."""
    if url.startswith(DATABASE_SCHEMES):
        return url
    scheme, found, rest = url.partition("://")
    if found and scheme in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        raise ValueError(f"the asyncio driver is needed: write postgresql+asyncpg://{rest}")
    if found and scheme in ("sqlite", "sqlite+pysqlite"):
        raise ValueError(f"the asyncio driver is needed: write sqlite+aiosqlite://{rest}")
    raise ValueError(
        "not a database URL opengroups can use: "
        "postgresql+asyncpg://USER:PASSWORD@HOST:5432/DBNAME or sqlite+aiosqlite:///PATH"
    )


def display_url(url: str) -> str:
    """A database URL with its password replaced by ``***``."""
    scheme, found, rest = url.partition("://")
    credentials, at, location = rest.rpartition("@")
    if not (found and at and ":" in credentials):
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{location}"


def load_settings() -> Settings:
    """The settings as the environment and the ``.env`` file (``env_file``) give them now
    (read on each call: the server and each command read them once, at start-up). Raises
    ``EnvFileMissing``, and pydantic's ``ValidationError`` for a value that cannot be used."""
    return Settings(_env_file=env_file())
