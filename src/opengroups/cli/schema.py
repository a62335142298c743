"""``opengroups db upgrade|current|history``: the schema's revision, read and moved forward,
and reported as it is.

The revisions this version knows come from its Alembic scripts (one line of history: 0001,
0002, ...); the database's is read with ``kit.migrate``. Nothing here migrates down: a
revision older than the database's is refused, not reported as done.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import typer

from opengroups import __version__, bootstrap
from opengroups.cli.exits import fail
from opengroups.cli.runner import settings
from opengroups.config import Settings
from opengroups.kit import migrate


@dataclass(frozen=True)
class Revision:
    id: str
    title: str


def known_revisions() -> list[Revision]:
    """The schema revisions of this version, oldest first."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    scripts = list(ScriptDirectory.from_config(config).walk_revisions())
    return [
        Revision(script.revision, " ".join((script.doc or "").split()))
        for script in reversed(scripts)
    ]


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _stored(configured: Settings) -> str | None:
    """The database's revision (None: no schema yet). A SQLite file that does not exist is
    not created to be read."""
    path = _sqlite_file(configured.resolved_database_url())
    if path is not None and not path.exists():
        return None

    async def main() -> str | None:
        database = bootstrap.open_database(configured)
        try:
            return await migrate.stored_revision(database.engine)
        finally:
            await database.dispose()

    return asyncio.run(main())


def _position(stored: str | None, known: list[str]) -> str:
    """Where ``stored`` stands against this version's revisions, for a message."""
    if stored is None:
        return "an empty database: 'opengroups db upgrade' (or serve) creates the schema"
    if stored not in known:
        return f"unknown to opengroups {__version__}: a newer version made it"
    if stored == known[-1]:
        return "head, the newest this version knows"
    return f"behind head ({known[-1]}): 'opengroups db upgrade' brings it up to date"


def current() -> None:
    """Print the revision on stdout ('none' for an empty database), where it stands on stderr."""
    known = [revision.id for revision in known_revisions()]
    stored = _stored(settings())
    typer.echo(stored or "none")
    typer.echo(_position(stored, known), err=True)


def history() -> None:
    """Every revision this version knows, oldest first, the database's marked."""
    revisions = known_revisions()
    stored = _stored(settings())
    for revision in revisions:
        marks = []
        if revision.id == stored:
            marks.append("current")
        if revision is revisions[-1]:
            marks.append("head")
        suffix = f" ({', '.join(marks)})" if marks else ""
        typer.echo(f"{revision.id}  {revision.title}{suffix}")
    if stored is not None and stored not in {revision.id for revision in revisions}:
        typer.echo(_position(stored, []), err=True)


def upgrade(revision: str) -> None:
    """Bring the schema to ``revision`` ("head": the newest), whatever
    ``OPENGROUPS_MIGRATE_ON_START`` says, and tell what changed. Exits 2 on an unknown
    revision, one older than the database's, or a database of a newer version."""
    known = [known.id for known in known_revisions()]
    target = known[-1] if revision == "head" else revision
    if target not in known:
        raise fail(
            f"unknown revision {revision!r}: this version knows {known[0]} to {known[-1]} "
            "('opengroups db history')."
        )
    configured = bootstrap.prepare_settings(settings())  # the data directory made

    async def main() -> tuple[str | None, str | None]:
        database = bootstrap.open_database(configured)
        try:
            before = await migrate.stored_revision(database.engine)
            if before is not None and before not in known:
                raise fail(f"the database is at {before}, {_position(before, known)}.")
            if before is not None and known.index(before) > known.index(target):
                raise fail(
                    f"the database is at {before}, newer than {target}: upgrade never goes "
                    "back, and nothing changed."
                )
            if before == target:
                return before, before
            await migrate.upgrade(database.engine, target)
            return before, await migrate.stored_revision(database.engine)
        finally:
            await database.dispose()

    before, after = asyncio.run(main())
    head = " (head)" if after == known[-1] else ""
    if before == after:
        typer.echo(f"Database already at {after}{head}; nothing to do.", err=True)
    else:
        typer.echo(
            f"Database upgraded from {before or 'an empty database'} to {after}{head}.", err=True
        )
