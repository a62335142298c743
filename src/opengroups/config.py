"""Settings read from the environment (prefix ``OPENGROUPS_``) or a ``.env`` file."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from opengroups.permissions.share import ShareSetting, parse_share

SECRET_KEY_FILE = ".secret_key"


class Settings(BaseSettings):
    """Every tunable of the service. See ``.env.example`` for the documentation of each."""

    model_config = SettingsConfigDict(
        env_prefix="OPENGROUPS_", env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Path("./data")
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
    log_level: str = "info"

    @field_validator("default_group_share", mode="before")
    @classmethod
    def _parse_share(cls, value: object) -> ShareSetting:
        return parse_share(value)

    @field_validator(
        "default_group_id",
        "permission_catalog",
        "identity_providers",
        "trusted_proxies",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'opengroups.db').resolve()}"

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


def load_settings() -> Settings:
    """The settings as the environment and ``.env`` give them now (read on each call: the
    server and each command read them once, at start-up)."""
    return Settings()
