"""Bundle import: validate everything first, then apply in the caller's transaction.

A dry run applies the very same steps inside a savepoint and rolls it back, so the plan it
reports is exactly what a real import would do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.authz import service as authz_service
from opengroups.config import Settings
from opengroups.errors import Conflict
from opengroups.groups import repository as groups_repository
from opengroups.groups import service as groups_service
from opengroups.groups.names import name_key
from opengroups.memberships import repository as memberships
from opengroups.memberships import service as memberships_service
from opengroups.models import Group, MembershipSource, User, new_id, now_epoch
from opengroups.permissions import Authz
from opengroups.transfer.plan import (
    Plan,
    order_and_check_hierarchy,
    parse_payload,
    validate,
)
from opengroups.transfer.schemas import (
    BundleGroup,
    BundleMember,
    GroupOutcome,
    ImportPolicy,
    ImportReport,
    UnmatchedMember,
)
from opengroups.users import repository as users_repository
from opengroups.users import service as users_service

Progress = Callable[[int, int], None]
_SOURCE = MembershipSource.IMPORT.value


async def _match_users(
    session: AsyncSession,
    groups: list[BundleGroup],
    *,
    create_missing: bool,
    report: ImportReport,
) -> dict[str, set[str]]:
    """Each bundle group's members as user ids: matched by id, then by e-mail. Members matching
    nobody are reported (and, if asked, created as ``pending`` users with no password, keeping
    the bundle's id when it is free)."""
    ids = {m.id for g in groups for m in g.members if m.id}
    emails = {m.email.lower() for g in groups for m in g.members if m.email}
    by_id = {u.id: u for u in await users_repository.users_by_ids(session, sorted(ids))}
    by_email = {u.email: u for u in await users_repository.users_by_emails(session, sorted(emails))}

    def matched(member: BundleMember) -> User | None:
        email = member.email.lower() if member.email else None
        found: User | None = by_id.get(member.id) if member.id else None
        return found or (by_email.get(email) if email else None)

    if create_missing:
        wanted: dict[str, tuple[str, str, str]] = {}
        taken = set(by_id)
        for member in (m for g in groups for m in g.members):
            if member.email and matched(member) is None:
                email = member.email.lower()
                if email not in wanted:
                    user_id = member.id if member.id and member.id not in taken else new_id()
                    taken.add(user_id)
                    name = (member.name or email.split("@")[0])[:255]
                    wanted[email] = (user_id, name, email)
        for created in users_service.add_pending_users(session, list(wanted.values())):
            by_email[created.email] = created
        report.users_created += len(wanted)
        if wanted:
            await session.flush()

    resolved: dict[str, set[str]] = {}
    for group in groups:
        members: set[str] = set()
        for member in group.members:
            user = matched(member)
            if user is None:
                report.unmatched_members.append(
                    UnmatchedMember(
                        group_id=group.id, group_name=group.name, id=member.id, email=member.email
                    )
                )
                continue
            members.add(user.id)
        resolved[group.id] = members
    return resolved


def _fields(group: BundleGroup, plan: Plan, parent: str | None) -> dict[str, Any]:
    return {
        "name": group.name.strip(),
        "description": group.description,
        "data": plan.data[group.id],
        "meta": group.meta,
        "permissions": plan.permissions[group.id],
        "parent_group_id": parent,
    }


async def import_bundle(
    session: AsyncSession,
    authz: Authz,
    *,
    actor_id: str,
    payload: Any,
    policy: ImportPolicy,
    dry_run: bool,
    create_missing_users: bool,
    settings: Settings,
    progress: Progress | None = None,
) -> ImportReport:
    """Import groups, hierarchy, permissions, members (source ``import``) and defaults.

    Existing groups are matched by id, then by name. One equal to the bundle's is
    ``unchanged`` under every policy; for the others ``policy`` says what happens:
    ``fail`` (409 naming them, nothing written), ``skip`` (left as they are) or ``overwrite``
    (made equal to the bundle; members the bundle no longer lists lose their ``import`` source,
    other sources are kept). Raises ``InvalidBundle``, ``Conflict``.
    """
    bundle = parse_payload(payload)
    plan = validate(bundle, authz)
    report = ImportReport(dry_run=dry_run, policy=policy)

    existing_by_id = {
        g.id: g for g in await groups_repository.groups_by_ids(session, [g.id for g in plan.groups])
    }
    existing_by_key = {
        g.name_key: g
        for g in await groups_repository.groups_by_name_keys(
            session, [name_key(g.name) for g in plan.groups]
        )
    }
    matches: dict[str, Group] = {}
    for group in plan.groups:
        match = existing_by_id.get(group.id) or existing_by_key.get(name_key(group.name))
        if match is not None:
            matches[group.id] = match
    for group in plan.groups:  # a rename onto another existing group's name
        match = matches.get(group.id)
        other = existing_by_key.get(name_key(group.name))
        if policy != "skip" and match and other and other.id != match.id:
            raise Conflict(
                f"group '{group.name}' ({group.id}): its name belongs to another group "
                f"({other.id})."
            )

    target_id = {g.id: matches[g.id].id if g.id in matches else g.id for g in plan.groups}
    writes = [g for g in plan.groups if not (g.id in matches and policy == "skip")]
    parents = await groups_repository.parent_map(session)
    for group in writes:
        parent = group.parent_group_id
        parents[target_id[group.id]] = target_id.get(parent, parent) if parent else None
    ordered = order_and_check_hierarchy(writes, target_id, parents, settings.max_group_depth)

    # Events recorded inside the savepoint go with it when it rolls back (``kit.context``).
    savepoint = await session.begin_nested()
    try:
        await _apply(
            session,
            authz,
            actor_id=actor_id,
            plan=plan,
            ordered=ordered,
            matches=matches,
            target_id=target_id,
            report=report,
            create_missing_users=create_missing_users,
            progress=progress,
        )
        report.skipped = len(plan.groups) - len(writes)
        report.groups += [
            GroupOutcome(id=matches[g.id].id, name=matches[g.id].name, action="skipped")
            for g in plan.groups
            if g.id in matches and policy == "skip"
        ]
        if policy == "fail":
            _refuse_differing(
                report, matched={matches[g.id].id for g in plan.groups if g.id in matches}
            )
    except BaseException:
        await savepoint.rollback()
        raise
    if dry_run:
        await savepoint.rollback()
    else:
        await savepoint.commit()
        if report.changed:
            recorder.record(
                session,
                action="transfer.import",
                resource_type="bundle",
                resource_id=bundle.source_system or "unknown",
                after=report.model_dump(include=_SUMMARY),
            )
    return report


def _refuse_differing(report: ImportReport, *, matched: set[str]) -> None:
    """Policy ``fail``: existing groups the bundle would change are a conflict (the caller
    rolls back); existing groups equal to the bundle's are ``unchanged``, so importing the same
    bundle twice succeeds. Raises ``Conflict``."""
    differing = sorted(
        f"'{outcome.name}'"
        for outcome in report.groups
        if outcome.id in matched and outcome.action != "unchanged"
    )
    if differing:
        raise Conflict(
            f"These groups already exist and differ from the bundle (policy 'fail'; use "
            f"'skip' or 'overwrite'): {', '.join(differing[:20])}."
        )


_SUMMARY = {
    "policy",
    "added",
    "updated",
    "unchanged",
    "skipped",
    "members_added",
    "members_removed",
    "users_created",
    "defaults",
}


async def _apply(
    session: AsyncSession,
    authz: Authz,
    *,
    actor_id: str,
    plan: Plan,
    ordered: list[BundleGroup],
    matches: dict[str, Group],
    target_id: dict[str, str],
    report: ImportReport,
    create_missing_users: bool,
    progress: Progress | None,
) -> None:
    members = await _match_users(
        session, ordered, create_missing=create_missing_users, report=report
    )
    known_users = {
        u.id
        for u in await users_repository.users_by_ids(
            session, sorted({g.user_id for g in ordered if g.user_id})
        )
    }
    matched_ids = [matches[g.id].id for g in ordered if g.id in matches]
    current_import = await memberships.members_by_source(
        session, group_ids=matched_ids, source=_SOURCE
    )
    current_members = await memberships.members_of_groups(session, matched_ids)
    now = now_epoch()

    # New groups first, parents before children, so every parent row exists.
    for group in ordered:
        if group.id in matches:
            continue
        parent = group.parent_group_id
        groups_service.insert_group(
            session,
            group_id=group.id,
            owner_id=group.user_id if group.user_id in known_users else actor_id,
            fields=_fields(group, plan, target_id.get(parent, parent) if parent else None),
            # A move keeps when the group was made and last changed (docs/transfer.md).
            created_at=group.created_at or now,
            updated_at=group.updated_at or now,
        )
    await session.flush()

    for done, group in enumerate(ordered, start=1):
        gid = target_id[group.id]
        parent = group.parent_group_id
        action = "added"
        if group.id in matches:
            wanted = _fields(group, plan, target_id.get(parent, parent) if parent else None)
            changed = await groups_service.apply_changes(
                session, matches[group.id], wanted, now=now
            )
            action = "updated" if changed else "unchanged"
        desired = members[group.id]
        held = current_import.get(gid, set())
        before = current_members.get(gid, set())
        to_add = sorted(desired - held)
        removed = await memberships.withdraw_source(
            session, group_id=gid, user_ids=sorted(held - desired), source=_SOURCE
        )
        await memberships.add_memberships(session, group_id=gid, user_ids=to_add, source=_SOURCE)
        joined = sorted(set(to_add) - before)
        added = len(joined)
        memberships_service.record_membership_change(
            session, group_id=gid, added=joined, removed=removed, source=_SOURCE
        )
        # A member who was one already (another source) is no change to the group.
        if (joined or removed) and action == "unchanged":
            action = "updated"
        if (joined or removed) and group.id in matches:
            await groups_repository.touch_group(session, matches[group.id], now)
        report.members_added += added
        report.members_removed += len(removed)
        if action == "added":
            report.added += 1
        elif action == "updated":
            report.updated += 1
        else:
            report.unchanged += 1
        report.groups.append(
            GroupOutcome(
                id=gid,
                name=group.name,
                action=action,
                members_added=added,
                members_removed=len(removed),
            )
        )
        if progress is not None:
            progress(done, len(ordered))
    await session.flush()

    if plan.defaults is not None:
        current = await authz_service.get_default_permissions(session, authz)
        wanted_defaults = authz.catalog.render(authz.catalog.values(plan.defaults))
        if current != wanted_defaults:
            await authz_service.set_default_permissions(session, authz, plan.defaults)
            report.defaults = "updated"
        else:
            report.defaults = "unchanged"
