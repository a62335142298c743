"""``opengroups``: serve the API, migrate the database, manage users, export and import.

This module only declares the commands: each imports what it needs when it runs, so that
``opengroups --help`` (and every worker process of ``serve``, which imports this module first)
starts without loading the web framework, the database layer or the application.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from opengroups.cli.runner import Work

T = TypeVar("T")

app = typer.Typer(
    help="opengroups: user groups and what their members may do.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
scim_app = typer.Typer(help="SCIM provisioning clients (identity providers).", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(scim_app, name="scim-clients")
ldap_app = typer.Typer(help="The LDAP directory's sync (source ldap).", no_args_is_help=True)
app.add_typer(ldap_app, name="ldap")
owui_app = typer.Typer(
    help="Open WebUI instances whose groups opengroups runs (targets).", no_args_is_help=True
)
owui_targets_app = typer.Typer(help="Registered Open WebUI targets.", no_args_is_help=True)
owui_app.add_typer(owui_targets_app, name="targets")
app.add_typer(owui_app, name="owui")


def _run(work: Work[T]) -> T:
    """Run ``work`` in one transaction on a ready database (``cli.runner``)."""
    from opengroups.cli.runner import run

    return run(work)


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default from settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
) -> None:
    """Run the HTTP API (migrating the database first)."""
    from opengroups.cli.runner import serve as run_server

    run_server(host=host, port=port, workers=workers)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Bring the database schema up to date."""
    from opengroups.cli.runner import upgrade

    upgrade(revision)


@db_app.command("copy")
def db_copy(
    to: Annotated[str, typer.Option("--to", help="The database URL to copy into.")],
    overwrite: Annotated[
        bool, typer.Option(help="Replace what the target holds (refused by default).")
    ] = False,
) -> None:
    """Copy everything (users, passwords and API keys, groups, memberships, grants, settings,
    audit trail) from the configured database into another, e.g. SQLite to PostgreSQL."""
    from opengroups.cli.runner import copy_database

    copy_database(to, overwrite=overwrite)


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
    from opengroups.cli.commands import create_user

    typer.echo(_run(create_user(email=email, name=name, role=role, password=password)))


@users_app.command("api-key")
def users_api_key(email: Annotated[str, typer.Argument(help="The user's e-mail.")]) -> None:
    """Create a new API key for a user (replacing the old one) and print it."""
    from opengroups.cli.commands import create_api_key

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
    from opengroups.cli.commands import export_bundle

    text = _run(export_bundle())
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
