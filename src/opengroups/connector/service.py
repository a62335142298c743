"""Targets, and plan and apply over them.

A target's API key is decrypted only to talk to it, and never logged or answered. Planning
reads opengroups and the target and writes nothing. Applying reads the same, then writes to
the target; what it did is recorded in opengroups afterwards (``record_apply``: an audit event
and the target's last result), whether it finished or not.

Work on the target is network work, which can take long: callers that must not hold a
database transaction across it (the CLI, on SQLite) read with ``prepare`` in one short
transaction, run ``run_plan``/``run_apply`` outside any, and record in another. ``plan_target``
and ``apply_target`` do all of it in the caller's session.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.audit import service as audit_service
from opengroups.authz import service as authz_service
from opengroups.config import Settings
from opengroups.connector import repository
from opengroups.connector.apply import ApplyReport, Progress, apply_plan, create_users
from opengroups.connector.client import TargetClient, TargetUnavailable
from opengroups.connector.keys import decrypt_api_key, encrypt_api_key
from opengroups.connector.plan import Plan, compute_plan
from opengroups.connector.schemas import (
    TargetForm,
    TargetResponse,
    TargetStatus,
    TargetUpdateForm,
)
from opengroups.connector.state import Desired, DesiredGroup, Scope, desired_config, email_key
from opengroups.errors import Conflict, InvalidInput, NotFound
from opengroups.groups import repository as groups_repository
from opengroups.kit.db import Database
from opengroups.memberships import repository as memberships_repository
from opengroups.models import OwuiTarget, now_epoch
from opengroups.permissions import Authz

RESOURCE_TYPE = "owui_target"
# Changes that alter nothing a target receives: the connector's own records, sign-ins and
# provisioning clients. Any other change makes a reconciled target ``pending``.
NOT_FOR_TARGETS = (RESOURCE_TYPE, "auth", "scim_client")
# Back-off of a failing reconciled target: 30 s after the first failure, doubling, at most the
# target's interval (and an hour).
FIRST_RETRY_SECONDS = 30
LONGEST_RETRY_SECONDS = 3600


class TargetNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"Open WebUI target '{name}' not found.")


class TargetNameTaken(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(f"An Open WebUI target named '{name}' already exists.")


def status_of(target: OwuiTarget, *, cursor: int) -> TargetStatus:
    """``failing`` after a failed apply; else ``manual`` unless the target is reconciled, then
    ``pending`` when a change (or the first apply) waits, else ``in_sync``."""
    if target.failures:
        return "failing"
    if target.reconcile_minutes is None:
        return "manual"
    if target.reconciled_change is None or cursor > target.reconciled_change:
        return "pending"
    return "in_sync"


def retry_delay(*, failures: int, reconcile_minutes: int) -> int:
    """Seconds before a reconciled target that failed ``failures`` times in a row is tried
    again."""
    longest = min(reconcile_minutes * 60, LONGEST_RETRY_SECONDS)
    doubled: int = FIRST_RETRY_SECONDS << min(max(failures - 1, 0), 20)
    return min(doubled, longest)


def _response(target: OwuiTarget, *, cursor: int) -> TargetResponse:
    return TargetResponse(
        id=target.id,
        name=target.name,
        base_url=target.base_url,
        scope=Scope.stored(target.scope).describe(),
        created_at=target.created_at,
        last_apply_at=target.last_apply_at,
        last_result=target.last_result,
        create_missing_users=target.create_missing_users,
        reconcile_minutes=target.reconcile_minutes,
        status=status_of(target, cursor=cursor),
        failures=target.failures,
        retry_at=target.retry_at,
    )


async def feed_cursor(session: AsyncSession) -> int:
    """The change feed's cursor after the newest change that may alter what a target
    receives."""
    return await audit_service.latest_change(session, ignoring=NOT_FOR_TARGETS)


def scope_of(form: TargetForm) -> Scope:
    """The form's scope. Raises ``InvalidInput`` when both a prefix and a list are given."""
    if form.prefix is not None and form.groups is not None:
        raise InvalidInput("Give a prefix or a list of groups, not both.")
    if form.prefix is not None:
        return Scope("prefix", prefix=form.prefix)
    if form.groups is not None:
        return Scope("groups", names=tuple(dict.fromkeys(form.groups)))
    return Scope()


# --- targets ---------------------------------------------------------------------------------


async def create_target(
    session: AsyncSession, *, form: TargetForm, settings: Settings
) -> TargetResponse:
    """Register a target, its key encrypted. Raises ``InvalidInput``, ``TargetNameTaken``."""
    scope = scope_of(form)
    if await repository.target_by_name(session, form.name) is not None:
        raise TargetNameTaken(form.name)
    target = OwuiTarget(
        name=form.name,
        base_url=form.base_url,
        api_key_encrypted=encrypt_api_key(form.api_key, secret=settings.resolved_secret_key()),
        scope=scope.to_stored(),
        create_missing_users=form.create_missing_users,
        reconcile_minutes=form.reconcile_minutes,
        failures=0,
    )
    session.add(target)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # registered concurrently since the check
        raise TargetNameTaken(form.name) from exc
    recorder.record(
        session,
        action="owui_target.create",
        resource_type=RESOURCE_TYPE,
        resource_id=target.id,
        after={"name": target.name, "base_url": target.base_url, **_settings_of(target)},
    )
    return _response(target, cursor=await feed_cursor(session))


def _settings_of(target: OwuiTarget) -> dict[str, Any]:
    """What the audit trail records of a target's settings (never its key)."""
    return {
        "scope": Scope.stored(target.scope).describe(),
        "create_missing_users": target.create_missing_users,
        "reconcile_minutes": target.reconcile_minutes,
    }


async def update_target(
    session: AsyncSession, *, name: str, form: TargetUpdateForm, settings: Settings
) -> TargetResponse:
    """Change a target's address, key or settings (the fields given; ``reconcile_minutes``
    null stops the reconcile loop). Raises ``TargetNotFound``."""
    target = await repository.target_by_name(session, name, for_update=True)
    if target is None:
        raise TargetNotFound(name)
    given = form.model_fields_set
    before = {"base_url": target.base_url, **_settings_of(target)}
    if form.base_url is not None:
        target.base_url = form.base_url
    if form.api_key is not None:
        secret = settings.resolved_secret_key()
        target.api_key_encrypted = encrypt_api_key(form.api_key, secret=secret)
    if form.create_missing_users is not None:
        target.create_missing_users = form.create_missing_users
    if "reconcile_minutes" in given:
        target.reconcile_minutes = form.reconcile_minutes
        target.retry_at = None
    recorder.record(
        session,
        action="owui_target.update",
        resource_type=RESOURCE_TYPE,
        resource_id=target.id,
        before=before,
        after={
            "base_url": target.base_url,
            **_settings_of(target),
            **({"api_key": "replaced"} if form.api_key is not None else {}),
        },
    )
    return _response(target, cursor=await feed_cursor(session))


async def list_targets(session: AsyncSession) -> list[TargetResponse]:
    cursor = await feed_cursor(session)
    return [_response(target, cursor=cursor) for target in await repository.targets(session)]


async def get_target(session: AsyncSession, *, name: str) -> TargetResponse:
    """Raises ``TargetNotFound``."""
    target = await repository.target_by_name(session, name)
    if target is None:
        raise TargetNotFound(name)
    return _response(target, cursor=await feed_cursor(session))


async def delete_target(session: AsyncSession, *, name: str) -> None:
    """Forget a target (its groups stay on it as they are). Raises ``TargetNotFound``."""
    target = await repository.target_by_name(session, name, for_update=True)
    if target is None:
        raise TargetNotFound(name)
    await repository.delete_target(session, target.id)
    recorder.record(
        session,
        action="owui_target.delete",
        resource_type=RESOURCE_TYPE,
        resource_id=target.id,
        before={"name": target.name, "base_url": target.base_url},
    )


# --- the desired state -----------------------------------------------------------------------


async def read_desired(session: AsyncSession, authz: Authz, *, scope: Scope) -> Desired:
    """opengroups' groups in ``scope`` (a parent out of scope counts as none), their direct
    members' e-mails, and the default permissions."""
    groups = [g for g in await groups_repository.all_groups(session) if scope.includes(g.name)]
    ids = {group.id for group in groups}
    members: dict[str, set[str]] = defaultdict(set)
    names: dict[str, str] = {}
    for group_id, _user_id, email, name in await memberships_repository.all_members_with_users(
        session
    ):
        if group_id in ids:
            members[group_id].add(email_key(email))
            names.setdefault(email_key(email), name)
    return Desired(
        groups=tuple(
            DesiredGroup(
                id=group.id,
                name=group.name,
                description=group.description,
                permissions=group.permissions or {},
                config=desired_config(group.data),
                parent_id=group.parent_group_id if group.parent_group_id in ids else None,
                revision=group.revision,
                member_emails=frozenset(members.get(group.id, ())),
            )
            for group in groups
        ),
        default_permissions=await authz_service.get_default_permissions(session, authz),
        names=names,
    )


# --- plan and apply --------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """What talking to a target needs, read from opengroups in one transaction."""

    target_id: str
    name: str
    base_url: str
    api_key: str = field(repr=False)
    desired: Desired
    # The change feed's cursor when ``desired`` was read: what a good apply brings the target to.
    cursor: int = 0
    create_missing_users: bool = False
    scope: Scope = field(default_factory=Scope)


async def prepare(
    session: AsyncSession, authz: Authz, *, settings: Settings, name: str
) -> Prepared:
    """Raises ``TargetNotFound``, ``KeyUnreadable``."""
    target = await repository.target_by_name(session, name)
    if target is None:
        raise TargetNotFound(name)
    api_key = decrypt_api_key(
        target.api_key_encrypted, secret=settings.resolved_secret_key(), target=name
    )
    cursor = await feed_cursor(session)
    scope = Scope.stored(target.scope)
    desired = await read_desired(session, authz, scope=scope)
    return Prepared(
        target.id,
        target.name,
        target.base_url,
        api_key,
        desired,
        cursor=cursor,
        create_missing_users=target.create_missing_users,
        scope=scope,
    )


async def read_prepared(
    database: Database, authz: Authz, *, settings: Settings, name: str
) -> Prepared:
    """``prepare`` in a short read-only transaction of its own, so that none stays open while
    the target answers. Raises ``TargetNotFound``, ``KeyUnreadable``."""
    async with database.session(write=False) as session:
        return await prepare(session, authz, settings=settings, name=name)


async def apply_and_record(
    database: Database,
    prepared: Prepared,
    *,
    actor: Mapping[str, str | None],
    adopt: Collection[str] = (),
    progress: Progress | None = None,
    on_plan: Progress | None = None,
) -> ApplyReport:
    """``run_apply`` with no transaction open, then ``record_apply`` in a write transaction of
    its own, by ``actor`` (``recorder.set_actor``'s fields)."""
    report = await run_apply(prepared, adopt=adopt, progress=progress, on_plan=on_plan)
    async with database.session(write=True) as session:
        recorder.set_actor(session, **actor)
        await record_apply(session, prepared=prepared, report=report)
    return report


def _client(prepared: Prepared, transport: httpx.AsyncBaseTransport | None) -> TargetClient:
    return TargetClient(prepared.base_url, prepared.api_key, transport=transport)


async def run_plan(
    prepared: Prepared,
    *,
    adopt: Collection[str] = (),
    transport: httpx.AsyncBaseTransport | None = None,
) -> Plan:
    """Read the target and compute the plan. Raises ``TargetUnavailable``."""
    async with _client(prepared, transport) as client:
        actual = await client.read(adopt=adopt)
    return compute_plan(prepared.desired, actual, scope=prepared.scope, adopt=adopt)


async def run_apply(
    prepared: Prepared,
    *,
    adopt: Collection[str] = (),
    progress: Progress | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    on_plan: Progress | None = None,
) -> ApplyReport:
    """Read the target, plan and apply; a failing target gives a report with its ``error``
    (never an exception), so that the failure can be recorded. ``on_plan`` is told the number
    of actions once they are known. When the target creates missing users, they are created
    first (``apply.create_users``) and the plan is made with them."""
    async with _client(prepared, transport) as client:
        created: list[str] = []
        try:
            actual = await client.read(adopt=adopt)
            plan = compute_plan(prepared.desired, actual, scope=prepared.scope, adopt=adopt)
            if prepared.create_missing_users and plan.missing_users:
                created, error = await create_users(
                    client, plan.missing_users, names=prepared.desired.names
                )
                if error is not None:
                    return ApplyReport(
                        target=prepared.name, plan=plan, error=error, created_users=created
                    )
                actual = dataclasses.replace(actual, users=await client.users())
                plan = compute_plan(prepared.desired, actual, scope=prepared.scope, adopt=adopt)
        except TargetUnavailable as exc:
            return ApplyReport(target=prepared.name, plan=None, error=exc.message)
        if on_plan is not None:
            on_plan(0, len(plan.actions))
        report = await apply_plan(client, plan, target=prepared.name, progress=progress)
        report.created_users = created
        return report


async def record_apply(session: AsyncSession, *, prepared: Prepared, report: ApplyReport) -> None:
    """Audit the apply (``owui.apply``, with its counts) and keep it as the target's last
    result and status (unless the target was removed meanwhile)."""
    await record_outcome(
        session,
        target_id=prepared.target_id,
        name=prepared.name,
        cursor=prepared.cursor,
        report=report,
    )


async def record_outcome(
    session: AsyncSession, *, target_id: str, name: str, cursor: int | None, report: ApplyReport
) -> None:
    """``record_apply`` for a target known by id and name; ``cursor``: the change feed's when
    opengroups was read (None when it was not, which a good report never is)."""
    now = now_epoch()
    result = report.result(at=now)
    target = await repository.target_by_id_for_update(session, target_id)
    if target is not None:
        target.last_apply_at = now
        target.last_result = result
        if report.ok:
            target.failures = 0
            target.retry_at = None
            target.reconciled_change = cursor
        else:
            target.failures += 1
            target.retry_at = (
                now + retry_delay(failures=target.failures, reconcile_minutes=minutes)
                if (minutes := target.reconcile_minutes) is not None
                else None
            )
    recorder.record(
        session,
        action="owui.apply",
        resource_type=RESOURCE_TYPE,
        resource_id=target_id,
        after={"target": name, **result},
    )


async def plan_target(
    session: AsyncSession,
    authz: Authz,
    *,
    settings: Settings,
    name: str,
    adopt: Collection[str] = (),
    transport: httpx.AsyncBaseTransport | None = None,
) -> Plan:
    """The plan for target ``name``, in the caller's session (which it only reads). Raises
    ``TargetNotFound``, ``KeyUnreadable``, ``TargetUnavailable``."""
    prepared = await prepare(session, authz, settings=settings, name=name)
    return await run_plan(prepared, adopt=adopt, transport=transport)


async def apply_target(
    session: AsyncSession,
    authz: Authz,
    *,
    settings: Settings,
    name: str,
    adopt: Collection[str] = (),
    progress: Progress | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ApplyReport:
    """Apply to target ``name`` and record it, in the caller's session. A failing target is
    in the report (``ok`` false), recorded as well. Raises ``TargetNotFound``,
    ``KeyUnreadable``."""
    prepared = await prepare(session, authz, settings=settings, name=name)
    report = await run_apply(prepared, adopt=adopt, progress=progress, transport=transport)
    await record_apply(session, prepared=prepared, report=report)
    return report
