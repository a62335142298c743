"""``opengroups``: serve the API, migrate the database, manage users."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups import migrate
from opengroups.app import prepare_settings
from opengroups.audit import recorder
from opengroups.auths import service as auths_service
from opengroups.config import Settings, get_settings
from opengroups.db import open_database
from opengroups.errors import OpenGroupsError
from opengroups.permissions import CatalogError, load_catalog
from opengroups.users import repository as users_repository
from opengroups.users import service as users_service

app = typer.Typer(
    help="opengroups: user groups and what their members may do.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")

err = Console(stderr=True)
T = TypeVar("T")

# Exit codes: 0 success, 1 unexpected failure, 2 bad input (as the CLI convention for usage).
EXIT_BAD_INPUT = 2
# Who the CLI acts as where an id is needed and no admin exists (exports, imported creators).
CLI_ACTOR = "opengroups-cli"
# How the audit trail names changes made at the console.
CLI_ACTOR_ID = "system:cli"


def _settings() -> Settings:
    return prepare_settings(get_settings())


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction on a migrated database, as a request has."""
    database = open_database(settings)
    try:
        await migrate.upgrade(database.engine)
        async with database.session(write=True) as session:
            recorder.set_actor(session, user_id=CLI_ACTOR_ID)
            yield session
    finally:
        await database.dispose()


def _run(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    settings = _settings()

    async def main() -> T:
        async with _session(settings) as session:
            return await work(session, settings)

    try:
        return asyncio.run(main())
    except OpenGroupsError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default from settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
) -> None:
    """Run the HTTP API (migrating the database first)."""
    import uvicorn

    settings = _settings()
    try:
        load_catalog(settings.permission_catalog)  # refuse to start on a bad catalog, clearly
    except CatalogError as exc:
        err.print(f"[red]error:[/red] permission catalog: {exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    uvicorn.run(
        "opengroups.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
        # One line per request below info would only be formatted to be dropped.
        access_log=settings.log_level.lower() in ("debug", "trace", "info"),
        proxy_headers=True,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Bring the database schema up to date."""
    settings = _settings()

    async def main() -> None:
        database = open_database(settings)
        try:
            await migrate.upgrade(database.engine, revision)
        finally:
            await database.dispose()

    asyncio.run(main())
    err.print(f"Database at revision {revision}.")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="E-mail address (unique).")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[str, typer.Option(help="admin, user or pending.")] = "user",
    password: Annotated[
        str | None, typer.Option(help="Password; without one the account signs in by API key.")
    ] = None,
) -> None:
    """Create a user and print its id."""
    from pydantic import ValidationError

    from opengroups.auths.schemas import AddUserForm

    try:
        form = AddUserForm.model_validate(
            {"email": email, "name": name, "role": role, "password": password or "unused"}
        )
    except ValidationError as exc:
        for problem in exc.errors():
            field = ".".join(str(part) for part in problem["loc"])
            err.print(f"[red]error:[/red] {field}: {problem['msg']}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc

    async def work(session: AsyncSession, settings: Settings) -> str:
        user = await users_service.register_user(
            session,
            name=form.name,
            email=form.email,
            role=form.role,
            password=password,
            settings=settings,
        )
        return user.id

    typer.echo(_run(work))


@users_app.command("api-key")
def users_api_key(email: Annotated[str, typer.Argument(help="The user's e-mail.")]) -> None:
    """Create a new API key for a user (replacing the old one) and print it."""

    async def work(session: AsyncSession, _settings: Settings) -> str:
        user = await users_repository.get_user_by_email(session, email)
        if user is None:
            raise OpenGroupsError(f"No user with the e-mail '{email}'.", 404)
        return await auths_service.create_api_key(session, None, user_id=user.id)

    typer.echo(_run(work))


async def _system_actor_id(session: AsyncSession) -> str:
    """Who the CLI acts as: the primary admin when there is one."""
    return await users_service.primary_admin_id(session) or CLI_ACTOR


@app.command("export")
def export_command(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write the bundle (default: standard output).")
    ] = None,
) -> None:
    """Export every group, its members and the default permissions as a bundle (JSON)."""
    from opengroups.authz.context import Authz
    from opengroups.transfer import export

    async def work(session: AsyncSession, settings: Settings) -> str:
        authz = Authz(catalog=load_catalog(settings.permission_catalog))
        actor = await _system_actor_id(session)
        with err.status("Exporting groups and members…"):
            bundle = await export.export_bundle(session, authz, actor_id=actor, settings=settings)
        err.print(f"Exported {len(bundle.groups)} groups.")
        return export.bundle_json(bundle)

    text = _run(work)
    if file is None:
        typer.echo(text)
    else:
        file.write_text(text + "\n", encoding="utf-8")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A bundle, or Open WebUI group export(s), as JSON.")],
    policy: Annotated[str, typer.Option(help="Existing groups: fail, skip or overwrite.")] = "fail",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; write nothing.")
    ] = False,
    create_missing_users: Annotated[
        bool,
        typer.Option("--create-missing-users", help="Create unmatched members as pending users."),
    ] = False,
) -> None:
    """Import a bundle in one transaction and print what it did (or would do)."""
    import json

    from rich.progress import Progress
    from rich.table import Table

    from opengroups.authz.context import Authz
    from opengroups.transfer import importer
    from opengroups.transfer.schemas import ImportReport

    if policy not in ("fail", "skip", "overwrite"):
        err.print("[red]error:[/red] --policy must be fail, skip or overwrite")
        raise typer.Exit(EXIT_BAD_INPUT)
    try:
        payload = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        err.print(f"[red]error:[/red] {file}: {exc.strerror}")
        raise typer.Exit(EXIT_BAD_INPUT) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        err.print(f"[red]error:[/red] {file}: not valid JSON ({exc})")
        raise typer.Exit(EXIT_BAD_INPUT) from exc

    async def work(session: AsyncSession, settings: Settings) -> ImportReport:
        authz = Authz(catalog=load_catalog(settings.permission_catalog))
        actor = await _system_actor_id(session)
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("Importing groups", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return await importer.import_bundle(
                session,
                authz,
                actor_id=actor,
                payload=payload,
                policy=policy,  # type: ignore[arg-type]
                dry_run=dry_run,
                create_missing_users=create_missing_users,
                settings=settings,
                progress=advance,
            )

    report = _run(work)
    table = Table(title="Import plan (dry run: nothing written)" if dry_run else "Import")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("groups added", report.added),
        ("groups updated", report.updated),
        ("groups unchanged", report.unchanged),
        ("groups skipped", report.skipped),
        ("members added", report.members_added),
        ("members removed", report.members_removed),
        ("users created", report.users_created),
        ("unmatched members", len(report.unmatched_members)),
    ):
        table.add_row(label, str(value))
    table.add_row("default permissions", report.defaults)
    Console().print(table)
    if report.unmatched_members:
        unmatched = Table(title="Members that match no user")
        for column in ("group", "id", "email"):
            unmatched.add_column(column)
        for member in report.unmatched_members[:200]:
            unmatched.add_row(member.group_name, member.id or "", member.email or "")
        Console().print(unmatched)


@app.command("audit")
def audit_command(
    actor: Annotated[str | None, typer.Option(help="Only this actor's user id.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. group.update.")] = None,
    resource_type: Annotated[str | None, typer.Option(help="user, group, config, ...")] = None,
    resource_id: Annotated[str | None, typer.Option(help="Only this resource.")] = None,
    since: Annotated[
        str | None, typer.Option(help="From this time: ISO 8601 (2026-11-27T10:00Z) or epoch ms.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Before this time (same forms).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="At most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List audit events, newest first."""
    import json
    from datetime import UTC, datetime

    from rich.table import Table

    from opengroups.audit import service as audit_service
    from opengroups.audit.schemas import AuditPage

    def to_ms(value: str | None, option: str) -> int | None:
        if value is None:
            return None
        if value.isdigit():
            return int(value)
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            err.print(f"[red]error:[/red] {option}: not a time: {value!r}")
            raise typer.Exit(EXIT_BAD_INPUT) from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp() * 1000)

    since_ms, until_ms = to_ms(since, "--since"), to_ms(until, "--until")

    async def work(session: AsyncSession, _settings: Settings) -> AuditPage:
        return await audit_service.list_events(
            session,
            actor_id=actor,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            since_ms=since_ms,
            until_ms=until_ms,
            limit=limit,
        )

    page = _run(work)
    if as_json:
        for event in page.items:
            typer.echo(json.dumps(event.model_dump(mode="json"), sort_keys=True))
        return
    table = Table(title=f"Audit events ({len(page.items)}, newest first)")
    for column in ("id", "time (UTC)", "actor", "action", "resource", "change"):
        table.add_column(column)
    for event in page.items:
        when = datetime.fromtimestamp(event.occurred_at / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
        change = json.dumps({"before": event.before, "after": event.after}, sort_keys=True)
        table.add_row(
            str(event.id),
            when,
            event.actor_id or "system",
            event.action,
            f"{event.resource_type}/{event.resource_id}",
            change if len(change) <= 120 else change[:117] + "...",
        )
    Console().print(table)
