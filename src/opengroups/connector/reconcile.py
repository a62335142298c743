"""The reconcile loop: targets registered with ``reconcile_minutes`` are applied on their own,
every so many minutes and soon after each change in opengroups.

Each server process looks every ``OPENGROUPS_OWUI_RECONCILE_TICK_SECONDS`` (``tick``). A
target is due when a change arrived on the change feed since its last good apply (or it was
never applied), when its interval has passed, or, while it fails, when its back-off ends
(``service.retry_delay``). Changes that reach nothing a target receives (the connector's own
records, sign-ins) do not count (``service.NOT_FOR_TARGETS``).

With several workers or servers on one database, a target is applied by one process at a
time: the process takes a lease on it first, by a conditional update that only one can win
(``repository.claim``); a lease outlives any apply, so a process that died mid-apply is
replaced once its lease ends. Like a manual apply, the loop reads opengroups in a short
transaction, talks to the target with none open, and records the outcome in a third.
"""

from __future__ import annotations

import logging

from opengroups.audit import recorder
from opengroups.config import Settings
from opengroups.connector import repository, service
from opengroups.connector.apply import ApplyReport
from opengroups.errors import OpenGroupsError
from opengroups.kit.db import Database
from opengroups.models import OwuiTarget, now_epoch
from opengroups.permissions import Authz

logger = logging.getLogger("opengroups")

RECONCILE_ACTOR_ID = "system:owui-reconcile"
# Longer than any apply takes: the lease only decides who applies while a process lives.
LEASE_SECONDS = 900


def due(target: OwuiTarget, *, cursor: int, now: int) -> bool:
    """Whether the loop applies ``target`` now (``cursor``: the change feed's, ``now``: epoch
    seconds)."""
    minutes = target.reconcile_minutes
    if minutes is None or (target.lease_until is not None and target.lease_until > now):
        return False
    if target.retry_at is not None:
        return now >= target.retry_at
    if target.reconciled_change is None or cursor > target.reconciled_change:
        return True
    return target.last_apply_at is None or now >= target.last_apply_at + minutes * 60


async def tick(database: Database, authz: Authz, settings: Settings) -> list[ApplyReport]:
    """Apply every target that is due and that this process wins the lease of; their
    reports."""
    now = now_epoch()
    async with database.session(write=False) as session:
        cursor = await service.feed_cursor(session)
        names = [
            (target.id, target.name)
            for target in await repository.targets(session)
            if due(target, cursor=cursor, now=now)
        ]
    reports = []
    for target_id, name in names:
        async with database.session(write=True) as session:
            won = await repository.claim(session, target_id, now=now, until=now + LEASE_SECONDS)
        if not won:
            continue
        try:
            reports.append(await _apply(database, authz, settings, target_id, name))
        finally:
            async with database.session(write=True) as session:
                await repository.release(session, target_id)
    return reports


async def _apply(
    database: Database, authz: Authz, settings: Settings, target_id: str, name: str
) -> ApplyReport:
    try:
        prepared = await service.read_prepared(database, authz, settings=settings, name=name)
    except OpenGroupsError as exc:  # its key no longer decrypts, or it was just removed
        report = ApplyReport(target=name, plan=None, error=exc.message)
        async with database.session(write=True) as session:
            recorder.set_actor(session, user_id=RECONCILE_ACTOR_ID)
            await service.record_outcome(
                session, target_id=target_id, name=name, cursor=None, report=report
            )
        logger.warning("Open WebUI target %s: %s", name, exc.message)
        return report
    report = await service.apply_and_record(
        database, prepared, actor={"user_id": RECONCILE_ACTOR_ID}
    )
    if report.ok:
        if report.done or report.created_users:
            logger.info("Open WebUI target %s: %d changes applied", name, len(report.done))
    else:
        logger.warning("Open WebUI target %s: %s", name, report.error)
    return report
