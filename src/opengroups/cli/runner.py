"""How a command runs: one bootstrap (``bootstrap``) as the server's, one transaction as a
request's, errors as messages and exit codes (``cli.exits``). Imported only by the commands
that need it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups import __version__, bootstrap
from opengroups.audit import recorder
from opengroups.bootstrap import Runtime
from opengroups.cli.exits import EXIT_BAD_INPUT, fail, warn
from opengroups.config import (
    DATA_DIR_VARIABLE,
    Settings,
    check_database_url,
    display_url,
    env_file,
    load_settings,
)
from opengroups.errors import OpenGroupsError
from opengroups.identity.config import IdentityConfigError
from opengroups.permissions import CatalogError

__all__ = ["CLI_ACTOR_ID", "EXIT_BAD_INPUT", "Work", "checked", "err", "fail", "run", "runtime"]

T = TypeVar("T")
Form = TypeVar("Form", bound=BaseModel)
Work = Callable[[AsyncSession, Runtime], Awaitable[T]]

# Progress bars and spinners, on standard error.
err = Console(stderr=True)
# How the audit trail names changes made at the console.
CLI_ACTOR_ID = "system:cli"


def data_dir_origin(configured: Settings) -> str:
    """Why this data directory: set, the old ``./data`` kept, or the platform's default."""
    if "data_dir" in configured.model_fields_set:
        return f"set by {DATA_DIR_VARIABLE}"
    if configured.legacy_notice() is not None:
        return "./data of the working directory, the old default"
    return "the default for this user"


def settings(*, announce: bool = True) -> Settings:
    """The settings as the server reads them. ``announce``: one line on standard error names
    the data directory, the database and the ``.env`` file in use, and a data directory kept
    in ``./data`` is warned about (``Settings.legacy_notice``)."""
    configured = load_settings()
    if announce:
        found = env_file()
        line = (
            f"opengroups {__version__}: data directory {configured.data_dir}; database "
            f"{configured.display_database_url()}" + (f"; settings from {found}" if found else "")
        )
        typer.echo(typer.style(line, dim=True), err=True)
        notice = configured.legacy_notice()
        if notice is not None:
            warn(notice)
    return configured


def runtime(configured: Settings | None = None) -> Runtime:
    """The process's runtime, as the server builds it. Exits 2 on a bad permission catalog or
    identity providers' file."""
    try:
        return bootstrap.build_runtime(configured or settings())
    except CatalogError as exc:
        raise fail(f"permission catalog: {exc}") from exc
    except IdentityConfigError as exc:
        raise fail(str(exc)) from exc


def checked(model: type[Form], **fields: Any) -> Form:
    """The form, or exit 2 naming every field refused, on one line."""
    try:
        return model(**fields)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in exc.errors()
        ]
        raise fail("; ".join(problems)) from exc


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


def _base_url(host: str, port: int) -> str:
    """Where a browser on this host reaches a server bound to ``host``."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 (naming the wildcard, not binding it)
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


async def _reach(configured: Settings) -> None:
    """Connect to the database once (raises what connecting raises)."""
    from opengroups.kit import migrate

    database = bootstrap.open_database(configured)
    try:
        await migrate.stored_revision(database.engine)
    finally:
        await database.dispose()


def serve(*, host: str | None, port: int | None, workers: int | None) -> None:
    """Run the HTTP API with uvicorn; each worker builds the app (``app.create_app``). Logs go
    to standard error in ``OPENGROUPS_LOG_FORMAT``, from the start-up line on."""
    import logging

    import uvicorn

    from opengroups.kit import logs

    # The settings and the catalog are checked here, clearly, before any worker starts.
    configured = runtime(settings(announce=False)).settings
    log_config = logs.logging_config(level=configured.log_level, log_format=configured.log_format)
    logs.configure(level=configured.log_level, log_format=configured.log_format)
    host = host or configured.host
    port = port or configured.port
    workers = workers or configured.workers
    base = _base_url(host, port)
    found = env_file()
    logger = logging.getLogger("opengroups")
    logger.info(
        "opengroups %s starting on %s:%d: API %s, admin page %s/admin, docs %s/docs; "
        "database %s; data directory %s; settings from %s",
        __version__,
        host,
        port,
        base,
        base,
        base,
        configured.display_database_url(),
        configured.data_dir,
        found or "the environment only",
        extra={
            "version": __version__,
            "api_url": base,
            "admin_url": f"{base}/admin",
            "docs_url": f"{base}/docs",
            "database": configured.display_database_url(),
            "data_dir": str(configured.data_dir),
            "env_file": str(found) if found else None,
            "workers": workers,
        },
    )
    notice = configured.legacy_notice()
    if notice is not None:
        logger.warning(notice)
    # A database that cannot be reached is one line and exit 3 here (``cli.exits``), rather
    # than a traceback from each worker's start-up.
    asyncio.run(_reach(configured))
    uvicorn.run(
        "opengroups.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config,
        log_level=configured.log_level,
        # One line per request comes from the app (``kit.middleware.RequestIdMiddleware``),
        # with its request id.
        access_log=False,
        # The app applies forwarded headers itself (``app.create_app``), from the proxies in
        # OPENGROUPS_TRUSTED_PROXIES only.
        proxy_headers=False,
    )


def show_info() -> None:
    """``opengroups info``: what this installation uses, as ``name: value`` lines."""
    configured = settings(announce=False)
    found = env_file()
    rows = {
        "version": __version__,
        "data directory": f"{configured.data_dir} ({data_dir_origin(configured)})",
        "settings file": str(found) if found else "none (./.env, then the data directory's)",
        "database": configured.display_database_url(),
        "listens on": _base_url(configured.host, configured.port),
        "log": f"level {configured.log_level}, format {configured.log_format}",
    }
    for name, value in rows.items():
        typer.echo(f"{name}: {value}")
    notice = configured.legacy_notice()
    if notice is not None:
        warn(notice)


def copy_database(target_url: str, *, overwrite: bool) -> None:
    """``opengroups db copy``: the configured database into ``target_url``, with a progress
    bar per table. Exits 2 when the target holds data (without ``overwrite``) or the URL is not
    a database URL opengroups can use."""
    from rich.progress import Progress as Bar

    from opengroups import dbcopy

    try:
        check_database_url(target_url)
    except ValueError as exc:
        raise fail(f"--to: {exc}") from exc
    source_url = settings().resolved_database_url()
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
    Console().print(
        f"Copied {rows} rows in {len(report.rows)} tables to {display_url(target_url)}."
    )
