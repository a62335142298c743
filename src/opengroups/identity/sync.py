"""The one way an identity provider changes memberships: the groups it reports, resolved to
groups here, become exactly the memberships its source holds.

A provider's source (``oauth:<name>``, ``ldap``, ``header``) is the only source it adds or
withdraws: a manual membership, the default group's, an import's, SCIM's or another provider's
stay whatever the provider reports. A membership no source holds any more ends. Each change is
recorded by ``memberships.service`` with its source; each sync also records one
``identity.sync`` event saying what it added, removed and could not use, and why.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.config import Settings
from opengroups.groups import repository as groups_repository
from opengroups.groups import service as groups_service
from opengroups.groups.names import name_key
from opengroups.groups.schemas import GroupForm
from opengroups.identity.config import GroupSync, blocked
from opengroups.memberships import service as memberships_service
from opengroups.models import Group
from opengroups.permissions.policy import Authz
from opengroups.users import service as users_service


@dataclass
class Resolved:
    """Reported group values, as groups: the ids found (or created), and what was left out."""

    group_ids: set[str] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)


async def resolve(
    session: AsyncSession,
    authz: Authz,
    values: Sequence[str],
    rules: GroupSync,
    *,
    settings: Settings,
) -> Resolved:
    """The groups a provider's values name, by its rules (``GroupSync``): blocked values are
    never joined, unknown ones are created only when the rules say so."""
    found = Resolved()
    for value in dict.fromkeys(v.strip() for v in values if v and v.strip()):
        if blocked(value, rules.blocked):
            found.blocked.append(value)
            continue
        group = await _group_for(session, value, rules)
        if group is None and rules.create_groups:
            group = await groups_service.create_owned_group(
                session,
                authz,
                owner_id=await users_service.primary_admin_id(session) or "identity-sync",
                form=GroupForm(name=value),
                settings=settings,
            )
            found.created.append(group.id)
        if group is None:
            found.unknown.append(value)
        else:
            found.group_ids.add(group.id)
    return found


async def _group_for(session: AsyncSession, value: str, rules: GroupSync) -> Group | None:
    if rules.match in ("mapping", "both") and value in rules.mapping:
        target = rules.mapping[value]
        group = await groups_repository.get_group(session, target)
        return group or await groups_repository.get_group_by_name_key(session, name_key(target))
    if rules.match in ("name", "both"):
        return await groups_repository.get_group_by_name_key(session, name_key(value))
    return None


@dataclass(frozen=True)
class Changes:
    """What one sync did: the groups (or, for a group's sync, the users) it added and removed."""

    added: list[str]
    removed: list[str]


async def sync_user(
    session: AsyncSession,
    *,
    user_id: str,
    source: str,
    group_ids: Collection[str] | None,
    authoritative: bool,
) -> Changes:
    """Make the user's memberships held by ``source`` exactly ``group_ids``. None (the
    provider reported nothing) changes nothing unless the provider is ``authoritative``, when
    it withdraws every membership of the source. Groups are locked in id order. Returns the
    groups whose membership the source now holds or no longer holds (another source may hold
    the membership still)."""
    held = await memberships_service.groups_held_by(session, user_id=user_id, source=source)
    if group_ids is None and not authoritative:
        return Changes([], [])
    wanted = set(group_ids or ())
    added: list[str] = []
    removed: list[str] = []
    for group_id in sorted(wanted ^ held):
        group = await groups_service.lock_group(session, group_id, if_match=None)
        if group_id in wanted:
            await memberships_service.add_to_group(
                session, group=group, user_ids=[user_id], source=source
            )
            added.append(group_id)
        else:
            await memberships_service.withdraw_from_group(
                session, group=group, user_ids=[user_id], source=source
            )
            removed.append(group_id)
    return Changes(added, removed)


async def sync_group(
    session: AsyncSession, *, group: Group, source: str, user_ids: Collection[str]
) -> Changes:
    """Make the members ``source`` holds in a locked group exactly ``user_ids``: the directory
    sync, one group at a time. Returns the users added and removed (as the source sees it)."""
    held = await memberships_service.members_held_by(session, group_id=group.id, source=source)
    wanted = set(user_ids)
    await memberships_service.add_to_group(
        session, group=group, user_ids=sorted(wanted - held), source=source
    )
    await memberships_service.withdraw_from_group(
        session, group=group, user_ids=sorted(held - wanted), source=source
    )
    return Changes(sorted(wanted - held), sorted(held - wanted))


def record_sync(
    session: AsyncSession,
    *,
    source: str,
    reason: str,
    user_id: str | None = None,
    changes: Changes | None = None,
    resolved: Resolved | None = None,
    problem: str | None = None,
    summary: Mapping[str, object] | None = None,
) -> None:
    """One ``identity.sync`` event: which provider synced whom, why, and with what outcome
    (``summary``: a directory sync's counts, which stay small whatever the directory's size)."""
    after: dict[str, object] = {"reason": reason}
    if user_id is not None:
        after["user_id"] = user_id
    if changes is not None:
        after |= {"added": changes.added, "removed": changes.removed}
    if resolved is not None:
        after |= {"unknown": resolved.unknown, "blocked": resolved.blocked}
        if resolved.created:
            after["created"] = resolved.created
    if problem is not None:
        after["problem"] = problem
    if summary is not None:
        after |= summary
    recorder.record(
        session,
        action="identity.sync",
        resource_type="identity_provider",
        resource_id=source,
        after=after,
    )
