"""One start-up for the server and every command line: settings, the permission catalog and the
engine's settings, the caches, password hashing, and the database made ready.

``opengroups serve`` (through ``app.create_app``) and each CLI command build the same
``Runtime``; a setting such as ``OPENGROUPS_ADMIN_BYPASS`` or ``OPENGROUPS_MIGRATE_ON_START``
therefore means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opengroups.caching import Caches
from opengroups.caching import revision as revisions
from opengroups.config import Settings, load_settings
from opengroups.errors import OpenGroupsError
from opengroups.identity.config import IdentityConfig, load_identity
from opengroups.kit import migrate
from opengroups.kit.db import Database
from opengroups.kit.passwords import Passwords
from opengroups.kit.shared_counter import SharedCounter
from opengroups.permissions import Authz, load_catalog


class SchemaOutOfDate(OpenGroupsError):
    """The database needs migrating and migrating at start-up is switched off."""

    def __init__(self, stored: str | None) -> None:
        super().__init__(
            f"The database schema is at {stored or 'nothing (an empty database)'}; this "
            f"version needs {migrate.HEAD}. Run `opengroups db upgrade` (or unset "
            "OPENGROUPS_MIGRATE_ON_START=false)."
        )


@dataclass
class Runtime:
    """What one process builds once from its settings and shares between requests."""

    settings: Settings
    authz: Authz
    passwords: Passwords
    # The configured identity providers (OIDC, LDAP, trusted header); none by default.
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    caches: Caches = field(default_factory=Caches)
    _database: Database | None = None

    @property
    def database(self) -> Database:
        """The database, once ``start`` made it ready."""
        assert self._database is not None, "the database is opened when the process starts"
        return self._database


def prepare_settings(settings: Settings) -> Settings:
    """Settings with the data directory created and the secret key resolved once."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return settings.model_copy(update={"secret_key": settings.resolved_secret_key()})


def build_runtime(settings: Settings | None = None) -> Runtime:
    """Everything but the database, which nothing here connects to.

    Raises ``CatalogError`` when the configured permission catalog cannot be used, and
    ``IdentityConfigError`` when the identity providers' file cannot.
    """
    settings = prepare_settings(settings or load_settings())
    return Runtime(
        identity=load_identity(settings.identity_providers),
        settings=settings,
        authz=Authz(
            catalog=load_catalog(settings.permission_catalog), admin_bypass=settings.admin_bypass
        ),
        passwords=Passwords(
            time_cost=settings.password_hash_time_cost,
            memory_kib=settings.password_hash_memory_kib,
            min_length=settings.password_min_length,
            concurrency=settings.password_hash_concurrency,
        ),
    )


def open_database(settings: Settings) -> Database:
    """The configured database, with its shared revision hint when the settings allow one."""
    path = revisions.hint_path(settings)
    return Database(
        settings.resolved_database_url(),
        revision_hint=SharedCounter(path) if path is not None else None,
    )


async def start(runtime: Runtime) -> Database:
    """Open the database and make it ready: migrated when it is behind (unless
    ``OPENGROUPS_MIGRATE_ON_START=false``: then ``SchemaOutOfDate``), the revision hint aligned
    with it. A database already at the newest schema costs one query to check."""
    database = open_database(runtime.settings)
    try:
        stored = await migrate.stored_revision(database.engine)
        if stored != migrate.HEAD:
            if not runtime.settings.migrate_on_start:
                raise SchemaOutOfDate(stored)
            await migrate.upgrade(database.engine)
        await revisions.align_hint(database)
    except BaseException:
        await database.dispose()
        raise
    runtime._database = database
    return database


async def stop(runtime: Runtime) -> None:
    runtime.passwords.close()
    if runtime._database is not None:
        await runtime._database.dispose()
        runtime._database = None
