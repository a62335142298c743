"""``opengroups``: serve the API, migrate the database, manage users."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups import migrate
from opengroups.app import prepare_settings
from opengroups.auths import service as auths_service
from opengroups.config import Settings, get_settings
from opengroups.db import Database
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


def _settings() -> Settings:
    return prepare_settings(get_settings())


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """One transaction on a migrated database, as a request has."""
    database = Database(settings.resolved_database_url())
    try:
        await migrate.upgrade(database.engine)
        async with database.session(write=True) as session:
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
        proxy_headers=True,
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Bring the database schema up to date."""
    settings = _settings()

    async def main() -> None:
        database = Database(settings.resolved_database_url())
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

    async def work(session: AsyncSession, _settings: Settings) -> str:
        user = await users_service.create_user(
            session, name=form.name, email=form.email, role=form.role, password=password
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
        return await auths_service.create_api_key(session, user=user)

    typer.echo(_run(work))
