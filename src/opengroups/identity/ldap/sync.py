"""The full sync of an LDAP directory: read it whole, then make the ``ldap`` memberships what it
says, in one transaction.

The read comes first, outside any transaction (it may take a while, and holds no lock); only a
complete read is applied (``directory``: anything less raises ``DirectoryUnavailable``). A
failed read changes nothing: it is recorded as one ``identity.sync`` event with its problem.

Applying compares in memory what the directory says with what the ``ldap`` source holds and
writes only the difference, group by group (``identity.sync.sync_group``), so a second sync of
an unchanged directory writes nothing but its event. Only ``ldap`` rows change: a manual
membership, the default group's, an import's, SCIM's and another provider's stay. An account
or a group that left the directory loses its ``ldap`` memberships; it is deleted only when the
sync created it (``created_account``, ``created_group``), never otherwise.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.caching import Caches
from opengroups.config import Settings
from opengroups.errors import OpenGroupsError
from opengroups.groups import service as groups_service
from opengroups.identity import repository as identity_repository
from opengroups.identity.config import IdentityConfig, LdapDirectory
from opengroups.identity.ldap import directory, matching, repository
from opengroups.identity.ldap.directory import DirectoryUnavailable, DirectoryView
from opengroups.identity.sync import record_sync, sync_group
from opengroups.kit.db import Database
from opengroups.models import IdentityLink
from opengroups.permissions.policy import Authz
from opengroups.users import repository as users_repository
from opengroups.users import service as users_service

logger = logging.getLogger("opengroups")

SOURCE = repository.PROVIDER
# How the audit trail names the changes of a directory sync nobody started by hand.
SYNC_ACTOR_ID = "system:ldap-sync"

# Called with the stage ("users", "groups": entries read so far; "apply": groups compared) and,
# once known, the total. The read stages are reported from the reading thread.
Progress = Callable[[str, int, int | None], None]


class LdapNotConfigured(OpenGroupsError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            "No LDAP directory is configured (the `ldap` key of OPENGROUPS_IDENTITY_PROVIDERS)."
        )


def configured(identity: IdentityConfig) -> LdapDirectory:
    """The configured directory. Raises ``LdapNotConfigured``."""
    if identity.ldap is None:
        raise LdapNotConfigured()
    return identity.ldap


class SyncRuntime(Protocol):
    """What a sync needs of the process's runtime (``bootstrap.Runtime``, which the domains
    may not import)."""

    identity: IdentityConfig
    authz: Authz
    settings: Settings
    caches: Caches

    @property
    def database(self) -> Database: ...


@dataclass
class SyncReport:
    """What a full sync read and did (or, with ``dry_run``, would do). ``problem``: why the
    directory could not be read, when it could not; then nothing was changed."""

    dry_run: bool = False
    problem: str | None = None
    users: int = 0
    groups: int = 0
    users_created: int = 0
    users_linked: int = 0
    users_deleted: int = 0
    users_unlinked: int = 0
    users_skipped: int = 0
    groups_created: int = 0
    groups_linked: int = 0
    groups_deleted: int = 0
    groups_unlinked: int = 0
    groups_unknown: list[str] = field(default_factory=list)
    groups_blocked: list[str] = field(default_factory=list)
    groups_unusable: list[str] = field(default_factory=list)
    groups_changed: int = 0
    members_added: int = 0
    members_removed: int = 0
    fetch_seconds: float = 0.0
    apply_seconds: float = 0.0

    def summary(self) -> dict[str, object]:
        """The counts, as the sync's audit event holds them (at most a few names of each
        kind left out, so that the event stays small whatever the directory's size)."""
        values = asdict(self)
        for key in ("groups_unknown", "groups_blocked", "groups_unusable"):
            names: list[str] = values.pop(key)
            values[key] = len(names)
            if names:
                values[f"{key}_names"] = names[:20]
        for key in ("fetch_seconds", "apply_seconds", "dry_run", "problem"):
            values.pop(key)
        return values


async def full_sync(
    database: Database,
    runtime: SyncRuntime,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    actor_id: str = SYNC_ACTOR_ID,
) -> SyncReport:
    """Read the directory, then apply it in one transaction (``dry_run``: compute everything,
    then roll back). A read that fails changes nothing and is recorded (but for a dry run,
    which writes nothing); the report says why. ``actor_id``: who the audit trail says acted.
    Raises ``LdapNotConfigured``."""
    config = configured(runtime.identity)
    report = SyncReport(dry_run=dry_run)
    started = time.perf_counter()
    try:
        view = await asyncio.to_thread(
            directory.read_directory, config, progress=_reading(progress)
        )
    except DirectoryUnavailable as exc:
        report.problem = exc.message
    report.fetch_seconds = time.perf_counter() - started
    if report.problem is None and not view.users and await _holds_accounts(database):
        report.problem = (
            "The LDAP directory returned no users at all; the sync refuses to take every "
            "synced account's memberships (check user_base and user_filter)."
        )
    if report.problem is not None:
        if not dry_run:
            async with database.session() as session:
                recorder.set_actor(session, user_id=actor_id)
                record_sync(session, source=SOURCE, reason="full sync", problem=report.problem)
        return report
    started = time.perf_counter()
    async with database.session() as session:
        recorder.set_actor(session, user_id=actor_id)
        await users_repository.lock_registration(session)  # concurrent syncs create no twins
        savepoint = await session.begin_nested()
        try:
            await _apply(
                session,
                runtime.authz,
                config=config,
                settings=runtime.settings,
                view=view,
                report=report,
                progress=progress,
            )
            record_sync(session, source=SOURCE, reason="full sync", summary=report.summary())
        except BaseException:
            await savepoint.rollback()
            raise
        if dry_run:
            await savepoint.rollback()
        else:
            await savepoint.commit()
    report.apply_seconds = time.perf_counter() - started
    return report


def _reading(progress: Progress | None) -> directory.Progress | None:
    if progress is None:
        return None
    report = progress
    return lambda stage, done: report(stage, done, None)


async def _holds_accounts(database: Database) -> bool:
    async with database.session(write=False) as session:
        return bool(
            await identity_repository.links_by_subject(session, provider=repository.PROVIDER)
        )


async def _apply(
    session: AsyncSession,
    authz: Authz,
    *,
    config: LdapDirectory,
    settings: Settings,
    view: DirectoryView,
    report: SyncReport,
    progress: Progress | None,
) -> None:
    report.users, report.groups = len(view.users), len(view.groups)
    links = await identity_repository.links_by_subject(session, provider=repository.PROVIDER)
    accounts = await matching.match_accounts(
        session,
        config=config,
        settings=settings,
        entries=[view.users[key] for key in sorted(view.users)],
        links=links,
        present=lambda subject: subject in view.users,
    )
    report.users_created, report.users_linked = len(accounts.created), len(accounts.linked)
    report.users_skipped = len(accounts.skipped)
    await _forget_gone_accounts(
        session, links=links, view=view, moved=accounts.moved, report=report
    )

    group_links = await repository.group_links(session)
    groups = await matching.match_groups(
        session,
        authz,
        config=config,
        settings=settings,
        entries=[view.groups[key] for key in sorted(view.groups)],
        links={key: link.group_id for key, link in group_links.items()},
    )
    report.groups_created, report.groups_linked = len(groups.created), len(groups.linked)
    report.groups_unknown, report.groups_blocked = groups.unknown, groups.blocked
    report.groups_unusable = groups.unusable

    wanted: dict[str, set[str]] = defaultdict(set)
    for key, members in view.effective_members(config.nested_depth).items():
        if key in groups.of:
            wanted[groups.of[key]] |= {accounts.of[user] for user in members if user in accounts.of}
    gone = sorted(key for key in group_links if key not in view.groups)
    deleted = {
        group_links[key].group_id
        for key in gone
        if group_links[key].created_group and group_links[key].group_id not in wanted
    }
    await repository.delete_group_links(session, gone)
    for group_id in sorted(deleted):
        await groups_service.delete_group(session, group_id=group_id, settings=settings)
    report.groups_deleted, report.groups_unlinked = len(deleted), len(gone) - len(deleted)

    held = await repository.memberships_held(session)
    changing = sorted(
        group_id
        for group_id in set(wanted) | set(held)
        if wanted.get(group_id, set()) != held.get(group_id, set())
    )
    for done, group_id in enumerate(changing, 1):
        group = await groups_service.lock_group(session, group_id, if_match=None)
        changes = await sync_group(
            session, group=group, source=SOURCE, user_ids=wanted.get(group_id, set())
        )
        report.members_added += len(changes.added)
        report.members_removed += len(changes.removed)
        if progress is not None:
            progress("apply", done, len(changing))
    report.groups_changed = len(changing)


async def _forget_gone_accounts(
    session: AsyncSession,
    *,
    links: dict[str, IdentityLink],
    view: DirectoryView,
    moved: list[str],
    report: SyncReport,
) -> None:
    """The links of entries that left the directory go; the accounts the sync created go with
    them (never the primary admin, whom nothing deletes). Their ``ldap`` memberships are
    withdrawn by the groups' sync that follows."""
    gone = sorted(set(links) - set(view.users) - set(moved))
    primary = await users_service.primary_admin_id(session)
    deleting = []
    for subject in gone:
        link = links[subject]
        if link.created_account and link.user_id != primary:
            deleting.append(link.user_id)
    await identity_repository.delete_links(session, provider=repository.PROVIDER, subjects=gone)
    for user_id in sorted(set(deleting)):
        await users_service.delete_user(session, actor=None, user_id=user_id)
    report.users_deleted, report.users_unlinked = len(set(deleting)), len(gone) - len(deleting)


async def periodic(runtime: SyncRuntime) -> None:
    """One scheduled full sync, logged (a failed read is recorded and logged as a warning):
    the work ``kit.background.every`` runs every ``sync_interval_seconds``."""
    report = await full_sync(runtime.database, runtime)
    if report.problem is not None:
        logger.warning("LDAP sync: %s", report.problem)
    else:
        logger.info(
            "LDAP sync: %d users, %d groups; %d members added, %d removed",
            report.users,
            report.groups,
            report.members_added,
            report.members_removed,
        )


def interval_seconds(identity: IdentityConfig) -> int | None:
    """Seconds between scheduled full syncs; None when the server schedules none."""
    if identity.ldap is None or identity.ldap.sync_interval_seconds == 0:
        return None
    return identity.ldap.sync_interval_seconds
