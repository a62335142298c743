"""``opengroups``: serve the API, migrate the database, manage users, export and import.

This module only declares the commands: each imports what it needs when it runs, so that
``opengroups --help`` (and every worker process of ``serve``, which imports this module first)
starts without loading the web framework, the database layer or the application.

Every command exits 0 on success, 1 on an unexpected failure, 2 on bad input or a refusal, 3
when the database cannot be reached (``cli.exits``), with any failure as one line on standard
error. Results go to standard output; progress, the data directory in use and messages go to
standard error.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, TypeVar

import typer

from opengroups.cli.exits import Cli

if TYPE_CHECKING:
    from opengroups.cli.runner import Work

T = TypeVar("T")
Role = Literal["admin", "user", "pending"]


def _group(help_text: str) -> typer.Typer:
    # Plain help (no boxes): flags shown as flags, choices listed, in any terminal.
    return typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)


app = typer.Typer(
    cls=Cli,
    help="opengroups: user groups and what their members may do.",
    epilog=(
        "Exit codes: 0 success, 1 unexpected failure, 2 bad input or refused, 3 database "
        "unreachable. 'opengroups info' shows the data directory and settings in use."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
db_app = _group("Database schema, and copying a database into another.")
users_app = _group("User accounts.")
app.add_typer(db_app, name="db")
scim_app = _group("SCIM provisioning clients (identity providers).")
app.add_typer(users_app, name="users")
app.add_typer(scim_app, name="scim-clients")
ldap_app = _group("The LDAP directory's sync (source ldap).")
app.add_typer(ldap_app, name="ldap")
owui_app = _group("Open WebUI instances whose groups opengroups runs (targets).")
owui_targets_app = _group("Registered Open WebUI targets.")
owui_app.add_typer(owui_targets_app, name="targets")
app.add_typer(owui_app, name="owui")


def _show_version(wanted: bool) -> None:
    if wanted:
        from opengroups import __version__

        typer.echo(f"opengroups {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """opengroups: user groups and what their members may do."""


def _run(work: Work[T]) -> T:
    """Run ``work`` in one transaction on a ready database (``cli.runner``)."""
    from opengroups.cli.runner import run

    return run(work)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default from settings).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (default from settings).")
    ] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes.")] = None,
) -> None:
    """Run the HTTP API (migrating the database first), logging in OPENGROUPS_LOG_FORMAT."""
    from opengroups.cli.runner import serve as run_server

    run_server(host=host, port=port, workers=workers)


@app.command()
def info() -> None:
    """Show the version, the data directory, the .env file read and the database in use."""
    from opengroups.cli.runner import show_info

    show_info()


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision (see 'db history').")] = "head",
) -> None:
    """Bring the database schema up to a revision (never down: an older one is refused)."""
    from opengroups.cli.schema import upgrade

    upgrade(revision)


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision ('none' for an empty database)."""
    from opengroups.cli.schema import current

    current()


@db_app.command("history")
def db_history() -> None:
    """List the schema revisions this version knows, oldest first, marking the database's."""
    from opengroups.cli.schema import history

    history()


@db_app.command("copy")
def db_copy(
    to: Annotated[str, typer.Option("--to", help="The database URL to copy into.")],
    overwrite: Annotated[
        bool, typer.Option(help="Replace what the target holds (refused by default).")
    ] = False,
) -> None:
    """Copy everything (users, passwords and API keys, groups, memberships, grants, settings,
    audit trail) from the configured database into another, e.g. SQLite to PostgreSQL, with a
    progress bar per table."""
    from opengroups.cli.runner import copy_database

    copy_database(to, overwrite=overwrite)


EmailArgument = Annotated[str, typer.Argument(help="The user's e-mail address.")]
PasswordStdinOption = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from the first line of stdin."),
]


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="E-mail address (unique).")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[Role, typer.Option(help="The account's role.")] = "user",
    ask_password: Annotated[
        bool, typer.Option("--ask-password", help="Ask for a password (twice) at the terminal.")
    ] = False,
    password_stdin: PasswordStdinOption = False,
    password: Annotated[
        str | None,
        typer.Option(
            help="Deprecated: visible to other users of the machine; use --password-stdin."
        ),
    ] = None,
) -> None:
    """Create a user and print its id. Without a password the account signs in by API key
    (or an identity provider)."""
    from opengroups.cli.users import create_user, read_password

    secret = read_password(ask=ask_password, stdin=password_stdin, deprecated=password)
    typer.echo(_run(create_user(email=email, name=name, role=role, password=secret)))


@users_app.command("list")
def users_list(
    search: Annotated[
        str | None, typer.Option(help="Only users whose name or e-mail contains this.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the users, oldest first: id, e-mail, name, role, groups."""
    from opengroups.cli.users import list_users, show_users

    show_users(_run(list_users(search=search)), as_json=as_json)


@users_app.command("set-role")
def users_set_role(
    email: EmailArgument,
    role: Annotated[Role, typer.Argument(help="The new role.")],
) -> None:
    """Change a user's role (their sessions end; the primary admin's role cannot change)."""
    from opengroups.cli.users import set_role

    typer.echo(f"{_run(set_role(email, role))}: {role}")


@users_app.command("reset-password")
def users_reset_password(email: EmailArgument, password_stdin: PasswordStdinOption = False) -> None:
    """Set a user's password, asked twice at the terminal (or read from stdin); every session
    of theirs ends."""
    from opengroups.cli.users import read_password, reset_password

    secret = read_password(ask=not password_stdin, stdin=password_stdin)
    assert secret is not None
    typer.echo(f"password changed: {_run(reset_password(email, secret))}")


@users_app.command("delete")
def users_delete(
    email: EmailArgument,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a user with their memberships and grants (the primary admin cannot be)."""
    from opengroups.cli.users import confirm_deletion, delete_user

    confirm_deletion(email, yes=yes)
    typer.echo(f"deleted: {_run(delete_user(email))}")


@users_app.command("api-key")
def users_api_key(email: EmailArgument) -> None:
    """Create a new API key for a user (replacing the old one) and print it."""
    from opengroups.cli.users import create_api_key

    typer.echo(_run(create_api_key(email)))


@scim_app.command("create")
def scim_clients_create(
    name: Annotated[str, typer.Argument(help="Who provisions through it, e.g. 'Entra ID'.")],
) -> None:
    """Create a provisioning client and print its id and bearer token (shown this once)."""
    from opengroups.cli.commands import create_scim_client

    client_id, token = _run(create_scim_client(name))
    typer.echo(f"id: {client_id}")
    typer.echo(f"token: {token}")


@scim_app.command("list")
def scim_clients_list() -> None:
    """List the provisioning clients (never their tokens)."""
    from opengroups.cli.commands import list_scim_clients, show_scim_clients

    show_scim_clients(_run(list_scim_clients()))


@scim_app.command("revoke")
def scim_clients_revoke(
    client_id: Annotated[str, typer.Argument(help="The client's id.")],
) -> None:
    """Revoke a provisioning client: its token is refused from now on."""
    from opengroups.cli.commands import revoke_scim_client

    _run(revoke_scim_client(client_id))
    typer.echo(f"revoked: {client_id}")


@app.command("export")
def export_command(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write the bundle (default: standard output).")
    ] = None,
) -> None:
    """Export every group, its members and the default permissions as a bundle (JSON)."""
    from opengroups.cli.commands import check_writable, export_bundle, write_bundle

    if file is not None:
        check_writable(file)
    text = _run(export_bundle())
    if file is None:
        typer.echo(text)
    else:
        write_bundle(file, text)


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A bundle, or Open WebUI group export(s), as JSON.")],
    policy: Annotated[
        Literal["fail", "skip", "overwrite"],
        typer.Option(help="What to do with groups that exist already."),
    ] = "fail",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan; write nothing.")
    ] = False,
    create_missing_users: Annotated[
        bool,
        typer.Option("--create-missing-users", help="Create unmatched members as pending users."),
    ] = False,
) -> None:
    """Import a bundle in one transaction and print what it did (or would do)."""
    from opengroups.cli.commands import import_bundle, read_bundle, show_import

    payload = read_bundle(file, policy)
    report = _run(
        import_bundle(
            payload,
            policy=policy,
            dry_run=dry_run,
            create_missing_users=create_missing_users,
        )
    )
    show_import(report, dry_run=dry_run)


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
    from opengroups.cli.commands import list_audit, show_audit, to_epoch_ms

    events = _run(
        list_audit(
            actor=actor,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            since_ms=to_epoch_ms(since, "--since"),
            until_ms=to_epoch_ms(until, "--until"),
            limit=limit,
        )
    )
    show_audit(events, as_json=as_json)


@ldap_app.command("sync")
def ldap_sync(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
) -> None:
    """Read the whole LDAP directory, then apply it in one transaction. Exits 2, changing
    nothing, when no directory is configured or it cannot be read completely."""
    from opengroups.cli.commands import run_ldap_sync, show_ldap_sync

    show_ldap_sync(run_ldap_sync(dry_run=dry_run))


AdoptOption = Annotated[
    str | None,
    typer.Option(
        help="Comma-separated names of target groups without opengroups' marker to take over."
    ),
]


ReconcileOption = Annotated[
    int | None,
    typer.Option(
        "--reconcile-minutes",
        min=1,
        help="Apply on its own every so many minutes, and soon after each change.",
    ),
]


@owui_targets_app.command("add")
def owui_targets_add(
    name: Annotated[str, typer.Argument(help="A name for the target, e.g. 'chat'.")],
    url: Annotated[str, typer.Option("--url", help="The Open WebUI's base URL.")],
    api_key_env: Annotated[
        str,
        typer.Option(
            "--api-key-env", help="The environment variable holding the target admin's API key."
        ),
    ],
    prefix: Annotated[
        str | None, typer.Option(help="Manage only the groups whose name starts with this.")
    ] = None,
    groups: Annotated[
        str | None, typer.Option(help="Manage only these groups (comma-separated names).")
    ] = None,
    reconcile_minutes: ReconcileOption = None,
    create_missing_users: Annotated[
        bool,
        typer.Option(
            "--create-missing-users", help="Create on the target the members it has no account for."
        ),
    ] = False,
) -> None:
    """Register an Open WebUI target; its API key is read from an environment variable (never
    the command line) and stored encrypted."""
    from opengroups.cli.commands import add_owui_target, show_owui_targets

    show_owui_targets(
        [
            _run(
                add_owui_target(
                    name=name,
                    url=url,
                    api_key_env=api_key_env,
                    prefix=prefix,
                    groups=groups,
                    reconcile_minutes=reconcile_minutes,
                    create_missing_users=create_missing_users,
                )
            )
        ]
    )


@owui_targets_app.command("update")
def owui_targets_update(
    name: Annotated[str, typer.Argument(help="The target's name.")],
    url: Annotated[str | None, typer.Option("--url", help="A new base URL.")] = None,
    api_key_env: Annotated[
        str | None,
        typer.Option("--api-key-env", help="The environment variable holding a new API key."),
    ] = None,
    reconcile_minutes: ReconcileOption = None,
    by_hand: Annotated[
        bool, typer.Option("--by-hand", help="Stop the reconcile loop: apply by hand only.")
    ] = False,
    create_missing_users: Annotated[
        bool | None,
        typer.Option(
            "--create-missing-users/--no-create-missing-users",
            help="Whether applies create the target's missing users.",
        ),
    ] = None,
) -> None:
    """Change a target's address, key, reconcile interval or creation of missing users (only
    the options given)."""
    from opengroups.cli.commands import show_owui_targets, update_owui_target

    show_owui_targets(
        [
            _run(
                update_owui_target(
                    name,
                    url=url,
                    api_key_env=api_key_env,
                    reconcile_minutes=reconcile_minutes,
                    by_hand=by_hand,
                    create_missing_users=create_missing_users,
                )
            )
        ]
    )


@owui_targets_app.command("list")
def owui_targets_list() -> None:
    """List the targets (never their keys)."""
    from opengroups.cli.commands import list_owui_targets, show_owui_targets

    show_owui_targets(_run(list_owui_targets()))


@owui_targets_app.command("remove")
def owui_targets_remove(
    name: Annotated[str, typer.Argument(help="The target's name.")],
) -> None:
    """Forget a target; the groups on it stay as they are."""
    from opengroups.cli.commands import remove_owui_target

    _run(remove_owui_target(name))
    typer.echo(f"removed: {name}")


@owui_app.command("plan")
def owui_plan(
    name: Annotated[str, typer.Argument(help="The target's name.")],
    adopt: AdoptOption = None,
) -> None:
    """Show what applying would change on the target (groups, members, default permissions),
    the drift found there and the users it lacks. Changes nothing."""
    from opengroups.cli.commands import run_owui_plan, show_owui_plan

    show_owui_plan(name, run_owui_plan(name, adopt=adopt))


@owui_app.command("apply")
def owui_apply(
    name: Annotated[str, typer.Argument(help="The target's name.")],
    adopt: AdoptOption = None,
) -> None:
    """Bring the target's managed groups to what opengroups says. Exits 2 with a report of
    what was done and what was not when the target fails (the next apply finishes the job)."""
    from opengroups.cli.commands import run_owui_apply, show_owui_apply

    show_owui_apply(run_owui_apply(name, adopt=adopt))
