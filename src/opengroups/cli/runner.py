"""How a command runs: one bootstrap (``bootstrap``) as the server's, one transaction as a
request's, errors as messages and exit codes. Imported only by the commands that need it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups import bootstrap
from opengroups.audit import recorder
from opengroups.bootstrap import Runtime
from opengroups.errors import OpenGroupsError
from opengroups.identity.config import IdentityConfigError
from opengroups.kit import migrate
from opengroups.permissions import CatalogError

T = TypeVar("T")
Work = Callable[[AsyncSession, Runtime], Awaitable[T]]

err = Console(stderr=True)
# Exit codes: 0 success, 1 unexpected failure, 2 bad input (as the CLI convention for usage).
EXIT_BAD_INPUT = 2
# How the audit trail names changes made at the console.
CLI_ACTOR_ID = "system:cli"


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error; the exit to raise (bad input)."""
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(EXIT_BAD_INPUT)


def runtime() -> Runtime:
    """The process's runtime, as the server builds it. Exits 2 on a bad permission catalog."""
    try:
        return bootstrap.build_runtime()
    except CatalogError as exc:
        raise fail(f"permission catalog: {exc}") from exc
    except IdentityConfigError as exc:
        raise fail(str(exc)) from exc


def run(work: Work[T]) -> T:
    """Run ``work`` in one transaction on a ready database (migrated when behind, as ``serve``
    does), acting as the console. Exits 2 with the message of a refusal."""
    built = runtime()

    async def main() -> T:
        database = await bootstrap.start(built)
        try:
            async with database.session(write=True) as session:
                recorder.set_actor(session, user_id=CLI_ACTOR_ID)
                return await work(session, built)
        finally:
            await bootstrap.stop(built)

    try:
        return asyncio.run(main())
    except OpenGroupsError as exc:
        raise fail(exc.message) from exc


def serve(*, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the HTTP API with uvicorn; each worker builds the app (``app.create_app``)."""
    import uvicorn

    settings = runtime().settings  # refuses a bad catalog here, clearly, before any worker
    uvicorn.run(
        "opengroups.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
        # One line per request below info would only be formatted to be dropped.
        access_log=settings.log_level.lower() in ("debug", "trace", "info"),
        # The app applies forwarded headers itself (``app.create_app``), from the proxies in
        # OPENGROUPS_TRUSTED_PROXIES only.
        proxy_headers=False,
    )


def upgrade(revision: str) -> None:
    """Bring the schema to ``revision``, whatever ``OPENGROUPS_MIGRATE_ON_START`` says."""
    settings = runtime().settings

    async def main() -> None:
        database = bootstrap.open_database(settings)
        try:
            await migrate.upgrade(database.engine, revision)
        finally:
            await database.dispose()

    asyncio.run(main())
    err.print(f"Database at revision {revision}.")


def copy_database(target_url: str, *, overwrite: bool) -> None:
    """``opengroups db copy``: the configured database into ``target_url``, with a progress
    bar per table. Exits 2 when the target holds data (without ``overwrite``) or the URL is not
    a database URL."""
    from rich.progress import Progress as Bar

    from opengroups import dbcopy
    from opengroups.config import Settings

    source_url = Settings().resolved_database_url()
    if target_url == source_url:
        raise fail("The target is the configured database itself.")
    with Bar(console=err) as bar:
        tasks: dict[str, object] = {}

        def progress(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=max(total, 1))
            bar.update(tasks[table], completed=done if total else 1)  # type: ignore[arg-type]

        try:
            report = asyncio.run(
                dbcopy.copy_database(source_url, target_url, overwrite=overwrite, progress=progress)
            )
        except dbcopy.TargetNotEmpty as exc:
            raise fail(str(exc)) from exc
    rows = sum(report.rows.values())
    Console().print(f"Copied {rows} rows in {len(report.rows)} tables to the target.")
