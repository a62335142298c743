"""The work of each command, over the same services as the API, and how its result is shown.

Each ``*`` function here returns the work to run (``runner.Work``); ``cli.main`` runs it with
``runner.run`` and shows what it returns.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import service as audit_service
from opengroups.audit.schemas import AuditPage
from opengroups.bootstrap import Runtime
from opengroups.cli.runner import Work, checked, err, fail
from opengroups.connector.apply import ApplyReport
from opengroups.connector.plan import Action, Plan
from opengroups.connector.schemas import TargetResponse
from opengroups.errors import OpenGroupsError
from opengroups.kit.db import Database
from opengroups.scim import clients as scim_clients
from opengroups.scim.schemas import ScimClientForm, ScimClientResponse
from opengroups.transfer import export, importer
from opengroups.transfer.schemas import ImportPolicy, ImportReport
from opengroups.users import service as users_service

if TYPE_CHECKING:  # the sync's module loads ldap3: only ``ldap sync`` needs it
    from opengroups.connector.service import Prepared
    from opengroups.identity.ldap.sync import SyncReport

T = TypeVar("T")

# Who the CLI acts as where an id is needed and no admin exists (exports, imported creators).
CLI_ACTOR = "opengroups-cli"
POLICIES: tuple[ImportPolicy, ...] = ("fail", "skip", "overwrite")


async def _system_actor_id(session: AsyncSession) -> str:
    """Who the CLI acts as: the primary admin when there is one."""
    return await users_service.primary_admin_id(session) or CLI_ACTOR


def create_scim_client(name: str) -> Work[tuple[str, str]]:
    """As ``POST /api/v1/scim/clients``; exits 2 on a blank or too long name."""
    try:
        form = ScimClientForm(name=name)
    except ValidationError as exc:
        raise fail(f"name: {exc.errors()[0]['msg']}") from exc

    async def work(session: AsyncSession, _runtime: Runtime) -> tuple[str, str]:
        created = await scim_clients.create_client(
            session, name=form.name, created_by=await users_service.primary_admin_id(session)
        )
        return created.id, created.token

    return work


def list_scim_clients() -> Work[list[ScimClientResponse]]:
    async def work(session: AsyncSession, _runtime: Runtime) -> list[ScimClientResponse]:
        return await scim_clients.list_clients(session)

    return work


def show_scim_clients(found: list[ScimClientResponse]) -> None:
    table = Table("id", "name", "created", "last used", "revoked")
    for client in found:
        table.add_row(
            client.id,
            client.name,
            _when(client.created_at),
            _when(client.last_used_at),
            _when(client.revoked_at),
        )
    Console().print(table)


def _when(epoch: int | None) -> str:
    return "" if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


def revoke_scim_client(client_id: str) -> Work[None]:
    async def work(session: AsyncSession, _runtime: Runtime) -> None:
        await scim_clients.revoke_client(session, client_id=client_id)

    return work


def export_bundle() -> Work[str]:
    async def work(session: AsyncSession, runtime: Runtime) -> str:
        actor = await _system_actor_id(session)
        # The export reads everything in a few queries and tells no progress: the bar runs
        # without an end, with the time elapsed.
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn())
        with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
            bar.add_task("Exporting groups and members", total=None)
            bundle = await export.export_bundle(
                session, runtime.authz, actor_id=actor, settings=runtime.settings
            )
        err.print(f"Exported {len(bundle.groups)} groups.")
        return export.bundle_json(bundle)

    return work


def check_writable(file: Path) -> None:
    """Exit 2, before any work, when ``file`` cannot be written: its folder missing, or
    ``file`` a folder."""
    folder = file.parent if str(file.parent) else Path(".")
    if not folder.is_dir():
        raise fail(f"{file}: the folder {folder} does not exist.")
    if file.is_dir():
        raise fail(f"{file}: is a folder.")


def write_bundle(file: Path, text: str) -> None:
    """Write the bundle; exits 2 saying why it could not be written."""
    try:
        file.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise fail(f"{file}: {exc.strerror}") from exc


def read_bundle(file: Path, policy: str) -> Any:
    """The JSON in ``file``, once ``policy`` is known to be valid. Exits 2 otherwise."""
    if policy not in POLICIES:
        raise fail("--policy must be fail, skip or overwrite")
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise fail(f"{file}: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise fail(f"{file}: not valid JSON ({exc})") from exc


def import_bundle(
    payload: Any, *, policy: str, dry_run: bool, create_missing_users: bool
) -> Work[ImportReport]:
    checked: ImportPolicy = next(known for known in POLICIES if known == policy)

    async def work(session: AsyncSession, runtime: Runtime) -> ImportReport:
        actor = await _system_actor_id(session)
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("Importing groups", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return await importer.import_bundle(
                session,
                runtime.authz,
                actor_id=actor,
                payload=payload,
                policy=checked,
                dry_run=dry_run,
                create_missing_users=create_missing_users,
                settings=runtime.settings,
                progress=advance,
            )

    return work


def show_import(report: ImportReport, *, dry_run: bool) -> None:
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


def to_epoch_ms(value: str | None, option: str) -> int | None:
    """An ISO 8601 time (UTC unless it says otherwise) or epoch milliseconds. Exits 2 on
    anything else."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise fail(f"{option}: not a time: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def list_audit(
    *,
    actor: str | None,
    action: str | None,
    resource_type: str | None,
    resource_id: str | None,
    since_ms: int | None,
    until_ms: int | None,
    limit: int,
) -> Work[AuditPage]:
    async def work(session: AsyncSession, _runtime: Runtime) -> AuditPage:
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

    return work


def show_audit(page: AuditPage, *, as_json: bool) -> None:
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


def run_ldap_sync(*, dry_run: bool) -> SyncReport:
    """``opengroups ldap sync``: the full sync (``identity.ldap.sync``), which opens its own
    transaction once the directory is read, with a progress bar. Exits 2 when no directory is
    configured or it could not be read (nothing changed then)."""
    import asyncio

    from opengroups import bootstrap
    from opengroups.cli.runner import CLI_ACTOR_ID, runtime
    from opengroups.identity.ldap.sync import configured, full_sync

    built = runtime()
    try:
        configured(built.identity)
    except OpenGroupsError as exc:
        raise fail(exc.message) from exc

    async def main() -> SyncReport:
        database = await bootstrap.start(built)
        try:
            with Progress(console=err, transient=True) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(stage: str, done: int, total: int | None) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(f"LDAP {stage}", total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                return await full_sync(
                    database, built, dry_run=dry_run, progress=progress, actor_id=CLI_ACTOR_ID
                )
        finally:
            await bootstrap.stop(built)

    try:
        report = asyncio.run(main())
    except OpenGroupsError as exc:
        raise fail(exc.message) from exc
    if report.problem is not None:
        raise fail(report.problem)
    return report


def show_ldap_sync(report: SyncReport) -> None:
    table = Table(title="LDAP sync (dry run: nothing written)" if report.dry_run else "LDAP sync")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, value in (
        ("users in the directory", report.users),
        ("groups in the directory", report.groups),
        ("accounts created", report.users_created),
        ("accounts linked", report.users_linked),
        ("accounts deleted", report.users_deleted),
        ("accounts unlinked", report.users_unlinked),
        ("users skipped", report.users_skipped),
        ("groups created", report.groups_created),
        ("groups linked", report.groups_linked),
        ("groups deleted", report.groups_deleted),
        ("groups unlinked", report.groups_unlinked),
        ("groups unknown", len(report.groups_unknown)),
        ("groups blocked", len(report.groups_blocked)),
        ("groups unusable", len(report.groups_unusable)),
        ("groups changed", report.groups_changed),
        ("members added", report.members_added),
        ("members removed", report.members_removed),
    ):
        table.add_row(label, str(value))
    table.add_row("read (s)", f"{report.fetch_seconds:.2f}")
    table.add_row("applied (s)", f"{report.apply_seconds:.2f}")
    Console().print(table)


# --- Open WebUI targets ----------------------------------------------------------------------


def _names(value: str | None) -> list[str]:
    """A comma-separated option as names (blanks dropped)."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _api_key(variable: str) -> str:
    """The API key held by an environment variable; exits 2 when it holds none."""
    import os

    api_key = os.environ.get(variable, "").strip()
    if not api_key:
        raise fail(f"the environment variable {variable} holds no API key.")
    return api_key


def add_owui_target(
    *,
    name: str,
    url: str,
    api_key_env: str,
    prefix: str | None,
    groups: str | None,
    reconcile_minutes: int | None = None,
    create_missing_users: bool = False,
) -> Work[TargetResponse]:
    """As the API checks a new target; exits 2 on bad input or an unset key variable."""
    from opengroups.connector.schemas import TargetForm

    form = checked(
        TargetForm,
        name=name,
        base_url=url,
        api_key=_api_key(api_key_env),
        prefix=prefix,
        groups=_names(groups) if groups is not None else None,
        reconcile_minutes=reconcile_minutes,
        create_missing_users=create_missing_users,
    )

    async def work(session: AsyncSession, runtime: Runtime) -> TargetResponse:
        from opengroups.connector import service

        return await service.create_target(session, form=form, settings=runtime.settings)

    return work


def update_owui_target(
    name: str,
    *,
    url: str | None,
    api_key_env: str | None,
    reconcile_minutes: int | None,
    by_hand: bool,
    create_missing_users: bool | None,
) -> Work[TargetResponse]:
    """Only the options given change; ``by_hand`` stops the reconcile loop."""
    from opengroups.connector.schemas import TargetUpdateForm

    if by_hand and reconcile_minutes is not None:
        raise fail("give --reconcile-minutes or --by-hand, not both.")
    fields: dict[str, Any] = {}
    if url is not None:
        fields["base_url"] = url
    if api_key_env is not None:
        fields["api_key"] = _api_key(api_key_env)
    if reconcile_minutes is not None or by_hand:
        fields["reconcile_minutes"] = reconcile_minutes
    if create_missing_users is not None:
        fields["create_missing_users"] = create_missing_users
    form = checked(TargetUpdateForm, **fields)

    async def work(session: AsyncSession, runtime: Runtime) -> TargetResponse:
        from opengroups.connector import service

        return await service.update_target(session, name=name, form=form, settings=runtime.settings)

    return work


def list_owui_targets() -> Work[list[TargetResponse]]:
    async def work(session: AsyncSession, _runtime: Runtime) -> list[TargetResponse]:
        from opengroups.connector import service

        return await service.list_targets(session)

    return work


def remove_owui_target(name: str) -> Work[None]:
    async def work(session: AsyncSession, _runtime: Runtime) -> None:
        from opengroups.connector import service

        await service.delete_target(session, name=name)

    return work


def show_owui_targets(found: list[TargetResponse]) -> None:
    table = Table("name", "url", "scope", "reconcile", "status", "last apply", "result")
    for target in found:
        result = target.last_result or {}
        outcome = "" if not result else "ok" if result.get("ok") else "failed"
        every = (
            f"every {target.reconcile_minutes} min"
            if target.reconcile_minutes is not None
            else "by hand"
        )
        status = target.status.replace("_", " ")
        if target.retry_at is not None:
            status += f" (retry {_when(target.retry_at)})"
        table.add_row(
            target.name,
            target.base_url,
            target.scope,
            every,
            status,
            _when(target.last_apply_at),
            outcome,
        )
    Console().print(table)


def _on_target(work: Callable[[Database, Runtime], Awaitable[T]]) -> T:
    """Run ``work`` on a started runtime with its database; it opens its own transactions, so
    that none is held while the target answers. Exits 2 on a refusal."""
    import asyncio

    from opengroups import bootstrap
    from opengroups.cli.runner import runtime

    built = runtime()

    async def main() -> T:
        database = await bootstrap.start(built)
        try:
            return await work(database, built)
        finally:
            await bootstrap.stop(built)

    try:
        return asyncio.run(main())
    except OpenGroupsError as exc:
        raise fail(exc.message) from exc


async def _prepare(database: Database, runtime: Runtime, name: str) -> Prepared:
    from opengroups.connector import service

    return await service.read_prepared(
        database, runtime.authz, settings=runtime.settings, name=name
    )


def run_owui_plan(name: str, *, adopt: str | None) -> Plan:
    """``opengroups owui plan``: read opengroups, then the target; write nothing."""
    from opengroups.connector import service

    async def work(database: Database, runtime: Runtime) -> Plan:
        prepared = await _prepare(database, runtime, name)
        with err.status(f"Reading {prepared.base_url}…"):
            return await service.run_plan(prepared, adopt=_names(adopt))

    return _on_target(work)


def run_owui_apply(name: str, *, adopt: str | None) -> ApplyReport:
    """``opengroups owui apply``: read opengroups, apply to the target with a progress bar,
    then record what was done in one transaction."""
    from opengroups.cli.runner import CLI_ACTOR_ID
    from opengroups.connector import service

    async def work(database: Database, runtime: Runtime) -> ApplyReport:
        prepared = await _prepare(database, runtime, name)
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task(f"Applying to {prepared.name}", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=max(total, 1))

            return await service.apply_and_record(
                database,
                prepared,
                actor={"user_id": CLI_ACTOR_ID},
                adopt=_names(adopt),
                progress=progress,
                on_plan=progress,
            )

    return _on_target(work)


def _action_rows(table: Table, actions: Sequence[Action]) -> None:
    for index, action in enumerate(actions, start=1):
        table.add_row(str(index), action.kind.replace("_", " "), action.group, action.describe())


def show_owui_plan(name: str, plan: Plan) -> None:
    console = Console()
    if plan.empty:
        console.print(f"Target {name}: no changes.")
    else:
        table = Table("#", "action", "group", "details", title=f"Plan for {name}")
        _action_rows(table, plan.actions)
        console.print(table)
    if plan.drift:
        drift = Table(
            "group", "fields", "extra members", "lacking members", title="Changed on the target"
        )
        for item in plan.drift:
            drift.add_row(
                item.group,
                ", ".join(item.fields),
                ", ".join(item.extra_members),
                ", ".join(item.lacking_members),
            )
        console.print(drift)
    if plan.missing_users:
        console.print(
            f"Users the target lacks ({len(plan.missing_users)}): " + ", ".join(plan.missing_users)
        )
    if plan.conflicts:
        console.print(
            "Left alone, their name is held by a group opengroups does not manage "
            "(adopt to take over): " + ", ".join(plan.conflicts)
        )
    if plan.not_adoptable:
        console.print("Nothing to adopt named: " + ", ".join(plan.not_adoptable))


def show_owui_apply(report: ApplyReport) -> None:
    """The report; exits 2 when the target failed."""
    console = Console()
    counts = report.result(at=0)["done"]
    summary = ", ".join(f"{kind.replace('_', ' ')}: {n}" for kind, n in counts.items())
    console.print(f"Target {report.target}: {len(report.done)} actions done. {summary}".rstrip())
    if report.created_users:
        console.print(
            f"Users created on the target ({len(report.created_users)}): "
            + ", ".join(report.created_users)
        )
    if report.plan is not None and report.plan.missing_users:
        console.print(
            f"Users the target lacks ({len(report.plan.missing_users)}): "
            + ", ".join(report.plan.missing_users)
        )
    if report.ok:
        return
    if report.not_done:
        table = Table("#", "action", "group", "details", title="Not done")
        _action_rows(table, report.not_done)
        console.print(table)
    raise fail(f"the target failed: {report.error}")
