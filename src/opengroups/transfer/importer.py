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
from opengroups.authz.context import Authz
from opengroups.authz.revision import bump_revision
from opengroups.config import Settings
from opengroups.errors import Conflict
from opengroups.groups import repository as groups_repository
from opengroups.groups import service as groups_service
from opengroups.memberships import repository as memberships
from opengroups.memberships import service as memberships_service
from opengroups.models import Group, MembershipSource, User, new_id, now_epoch
from opengroups.transfer.plan import (
    Plan,
    order_and_check_hierarchy,
    parse_payload,
    validate,
)
from opengroups.transfer.schemas import (
    BundleGroup,
    GroupOutcome,
    ImportPolicy,
    ImportReport,
    UnmatchedMember,
)
from opengroups.users import repository as users_repository

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
    nobody are reported (and, if asked, created as ``pending`` users with no password)."""
    ids = {m.id for g in groups for m in g.members if m.id}
    emails = {m.email.lower() for g in groups for m in g.members if m.email}
    by_id = {u.id: u for u in await users_repository.users_by_ids(session, sorted(ids))}
    by_email = {u.email: u for u in await users_repository.users_by_emails(session, sorted(emails))}
    created: dict[str, User] = {}
    resolved: dict[str, set[str]] = {}
    now = now_epoch()
    for group in groups:
        members: set[str] = set()
        for member in group.members:
            email = member.email.lower() if member.email else None
            user = (by_id.get(member.id) if member.id else None) or (
                by_email.get(email) or created.get(email) if email else None
            )
            if user is None and create_missing and email:
                user_id = member.id if member.id and member.id not in by_id else new_id()
                user = User(
                    id=user_id,
                    name=(member.name or email.split("@")[0])[:255],
                    email=email,
                    role="pending",
                    password_hash=None,
                    profile_image_url="/user.png",
                    last_active_at=now,
                    created_at=now,
                    updated_at=now,
                )
                session.add(user)
                recorder.record(
                    session,
                    action="user.create",
                    resource_type="user",
                    resource_id=user.id,
                    after={"name": user.name, "email": user.email, "role": user.role},
                )
                created[email] = user
                report.users_created += 1
            if user is None:
                report.unmatched_members.append(
                    UnmatchedMember(
                        group_id=group.id, group_name=group.name, id=member.id, email=member.email
                    )
                )
                continue
            members.add(user.id)
        resolved[group.id] = members
    if created:
        await session.flush()
    return resolved


def _fields(group: BundleGroup, plan: Plan, parent: str | None) -> dict[str, Any]:
    return {
        "name": group.name.strip(),
        "name_key": group.name.strip().casefold(),
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

    Existing groups are matched by id, then by name; ``policy`` says what happens to them:
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
            session, [g.name.strip().casefold() for g in plan.groups]
        )
    }
    matches: dict[str, Group] = {}
    for group in plan.groups:
        match = existing_by_id.get(group.id) or existing_by_key.get(group.name.strip().casefold())
        if match is not None:
            matches[group.id] = match
    if policy == "fail" and matches:
        names = ", ".join(
            sorted(
                f"'{plan_group.name}'" for plan_group in plan.groups if plan_group.id in matches
            )[:20]
        )
        raise Conflict(f"These groups already exist (policy 'fail'): {names}.")
    for group in plan.groups:  # a rename onto another existing group's name
        match = matches.get(group.id)
        other = existing_by_key.get(group.name.strip().casefold())
        if policy == "overwrite" and match and other and other.id != match.id:
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

    savepoint = await session.begin_nested()
    events = recorder.mark(session)
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
    except BaseException:
        await savepoint.rollback()
        recorder.discard_since(session, events)
        raise
    if dry_run:
        await savepoint.rollback()
        recorder.discard_since(session, events)
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
        created = Group(
            id=group.id,
            user_id=group.user_id if group.user_id in known_users else actor_id,
            created_at=group.created_at or now,
            updated_at=now,
            revision=1,
            **_fields(group, plan, target_id.get(parent, parent) if parent else None),
        )
        session.add(created)
        recorder.record(
            session,
            action="group.create",
            resource_type="group",
            resource_id=created.id,
            after=groups_service.snapshot(created),
        )
    await session.flush()

    for done, group in enumerate(ordered, start=1):
        gid = target_id[group.id]
        parent = group.parent_group_id
        action = "added"
        if group.id in matches:
            existing = matches[group.id]
            wanted = _fields(group, plan, target_id.get(parent, parent) if parent else None)
            changed = {k: v for k, v in wanted.items() if getattr(existing, k) != v}
            action = "unchanged"
            if changed:
                before_fields = groups_service.snapshot(existing)
                for key, value in changed.items():
                    setattr(existing, key, value)
                existing.updated_at = now
                existing.revision += 1
                action = "updated"
                after_fields = groups_service.snapshot(existing)
                reach = {"permissions", "parent_group_id"} & set(changed)
                recorder.record(
                    session,
                    action="group.update",
                    resource_type="group",
                    resource_id=existing.id,
                    before={k: v for k, v in before_fields.items() if after_fields[k] != v},
                    after={k: v for k, v in after_fields.items() if before_fields[k] != v},
                    affected_user_ids=(
                        await memberships.effective_member_ids(session, existing.id)
                        if reach
                        else None
                    ),
                )
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
        if (to_add or removed) and action == "unchanged":
            action = "updated"
        if (to_add or removed) and group.id in matches:
            matches[group.id].updated_at = now
            matches[group.id].revision += 1
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
    if report.added or report.updated or report.members_added or report.members_removed:
        await bump_revision(session)

    if plan.defaults is not None:
        current = await authz_service.get_default_permissions(session, authz)
        wanted_defaults = authz.catalog.render(authz.catalog.values(plan.defaults))
        if current != wanted_defaults:
            await authz_service.set_default_permissions(session, authz, plan.defaults)
            report.defaults = "updated"
        else:
            report.defaults = "unchanged"
