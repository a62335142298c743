"""Group rules: visibility, validation, hierarchy, membership changes.

Every function takes the request's session first and never commits: the caller's transaction
makes the whole operation all-or-nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.authz import service as authz_service
from opengroups.authz.context import Authz
from opengroups.authz.revision import bump_revision
from opengroups.config import Settings
from opengroups.errors import (
    GroupNotFound,
    HierarchyError,
    NameTaken,
)
from opengroups.etags import check_if_match
from opengroups.grants import repository as grants_repository
from opengroups.groups import repository
from opengroups.groups.schemas import (
    GroupForm,
    GroupInfoResponse,
    GroupModel,
    GroupResponse,
    GroupUpdateForm,
)
from opengroups.groups.sql import SHARE_FALSE, SHARE_MEMBERS, SHARE_TRUE, share_literal, share_mode
from opengroups.memberships import repository as memberships
from opengroups.models import Group, User, new_id, now_epoch

_GROUP_FIELDS = list(GroupModel.model_fields)


def to_response(group: Group | Row[Any], member_count: int, *, redact: bool) -> GroupResponse:
    """The group (a ``Group`` or a row with its fields) as a ``GroupResponse``; non-admins get
    ``permissions`` and ``meta`` as null."""
    values = {name: getattr(group, name) for name in _GROUP_FIELDS}
    values["member_count"] = member_count
    if redact:
        values["permissions"] = values["meta"] = None
    return GroupResponse.model_validate(values)


def _is_admin(user: User) -> bool:
    return user.role == "admin"


def share_of(group: Group, settings: Settings) -> str:
    """The group's share mode, ``'true' | 'false' | 'members'``, read as ``groups/sql.py`` does."""
    config = (group.data or {}).get("config") if isinstance(group.data, dict) else None
    if not isinstance(config, dict) or config.get("share") is None:
        return share_literal(settings.default_group_share)
    value = config["share"]
    if isinstance(value, bool):
        return SHARE_TRUE if value else SHARE_FALSE
    if isinstance(value, int | float):
        return SHARE_FALSE if value == 0 else SHARE_TRUE
    if isinstance(value, str):
        lowered = value.lower()
        if lowered in {"true", "1"}:
            return SHARE_TRUE
        if lowered == SHARE_MEMBERS:
            return SHARE_MEMBERS
    return SHARE_FALSE


def snapshot(group: Group) -> dict[str, Any]:
    """The group's editable fields, as the audit trail records them."""
    return {
        "name": group.name,
        "description": group.description,
        "parent_group_id": group.parent_group_id,
        "data": group.data,
        "meta": group.meta,
        "permissions": group.permissions,
    }


async def lock_group(session: AsyncSession, group_id: str, *, if_match: str | None) -> Group:
    """The group, locked for the rest of the transaction, checked against ``if_match``.

    Raises ``GroupNotFound`` and ``PreconditionFailed``. Two concurrent writers with the same
    ``If-Match``: the second waits for the lock, then sees the new revision and gets 412.
    """
    group = await repository.get_group_for_update(session, group_id)
    if group is None:
        raise GroupNotFound(group_id)
    check_if_match(if_match, group.revision)
    return group


async def revision_of(session: AsyncSession, group_id: str) -> int:
    """The group's current revision (its ETag). Raises ``GroupNotFound``."""
    revision = await repository.get_revision(session, group_id)
    if revision is None:
        raise GroupNotFound(group_id)
    return revision


async def require_group(session: AsyncSession, group_id: str) -> Group:
    group = await repository.get_group(session, group_id)
    if group is None:
        raise GroupNotFound(group_id)
    return group


async def response_for(session: AsyncSession, group_id: str, *, redact: bool) -> GroupResponse:
    found = await repository.get_group_with_count(session, group_id)
    if found is None:
        raise GroupNotFound(group_id)
    return to_response(found[0], found[1], redact=redact)


# --- reading -------------------------------------------------------------------------------


# The viewer's groups, bound as ``effective_member_id`` when the query runs.
_VIEWERS_GROUP = Group.id.in_(memberships.EFFECTIVE_GROUP_IDS)


def _visibility(
    session: AsyncSession, share: bool | None, settings: Settings
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of ``GET /groups/`` for a non-admin (SPEC §1/§2), with the viewer
    left to bind as ``effective_member_id``.

    - no ``share``: groups the viewer is an effective member of;
    - ``share=true``: groups shared with everyone, plus members-only groups the viewer is in;
    - ``share=false``: non-shared groups the viewer is in.
    """
    mode = share_mode(session.get_bind().dialect.name, settings.default_group_share)
    member = _VIEWERS_GROUP
    if share is None:
        return [member]
    if share:
        return [or_(mode == SHARE_TRUE, (mode == SHARE_MEMBERS) & member)]
    return [mode == SHARE_FALSE, member]


async def list_visible_groups(
    session: AsyncSession,
    *,
    viewer: User,
    share: bool | None,
    query: str | None,
    limit: int | None,
    offset: int,
    settings: Settings,
) -> tuple[list[GroupResponse], int]:
    """The groups ``viewer`` may list, newest change first, and how many there are in all.

    Admins see every group whatever ``share`` says.
    """
    admin = _is_admin(viewer)
    conditions = [] if admin else _visibility(session, share, settings)
    params = {memberships.MEMBER_ID: viewer.id}
    rows, total = await repository.list_groups(
        session, conditions=conditions, query=query, limit=limit, offset=offset, params=params
    )
    return [to_response(row, row.member_count, redact=not admin) for row in rows], total


async def get_group(session: AsyncSession, *, group_id: str) -> GroupResponse:
    """The full group (admin view). Raises ``GroupNotFound``."""
    return await response_for(session, group_id, redact=False)


async def can_see_group(
    session: AsyncSession, *, viewer: User, group: Group, settings: Settings
) -> bool:
    """Admins see every group; others see groups shared with everyone and groups they are in."""
    if _is_admin(viewer):
        return True
    mode = share_mode(session.get_bind().dialect.name, settings.default_group_share)
    count = await repository.count_groups(
        session,
        conditions=[Group.id == group.id, or_(mode == SHARE_TRUE, _VIEWERS_GROUP)],
        query=None,
        params={memberships.MEMBER_ID: viewer.id},
    )
    return count > 0


async def get_group_info(
    session: AsyncSession, *, viewer: User, group_id: str, settings: Settings
) -> GroupInfoResponse:
    """Name, parent and member count of a group the viewer may see; otherwise ``GroupNotFound``.

    A group the viewer may not see is reported as missing, so its existence does not leak.
    """
    found = await repository.get_group_with_count(session, group_id)
    if found is None or not await can_see_group(
        session, viewer=viewer, group=found[0], settings=settings
    ):
        raise GroupNotFound(group_id)
    group, count = found
    return GroupInfoResponse.model_validate(
        {**GroupResponse.model_validate(group).model_dump(), "member_count": count}
    )


# --- writing -------------------------------------------------------------------------------


async def _check_parent(
    session: AsyncSession, *, group_id: str | None, parent_id: str | None, max_depth: int
) -> None:
    """Refuse a parent that is blank, unknown, inside the group's own subtree, or too deep."""
    if parent_id is None:
        return
    if not parent_id.strip():
        raise HierarchyError("parent_group_id must be a group id or null.")
    await repository.lock_hierarchy(session)
    if await repository.get_group(session, parent_id) is None:
        raise GroupNotFound(parent_id, what="Parent group")
    chain = await repository.ancestor_ids(session, parent_id)
    if group_id is not None and group_id in chain:
        raise HierarchyError("A group cannot be its own parent or a descendant of itself.")
    height = 1
    if group_id is not None:
        height += max((await repository.descendant_levels(session, group_id)).values(), default=0)
    if len(chain) + height > max_depth:
        raise HierarchyError(
            f"The hierarchy would be {len(chain) + height} levels deep; "
            f"at most {max_depth} are allowed."
        )


async def _check_name_free(session: AsyncSession, name: str, *, except_id: str | None) -> str:
    key = name.casefold()
    existing = await repository.get_group_by_name_key(session, key)
    if existing is not None and existing.id != except_id:
        raise NameTaken(name)
    return key


async def _flush_or_name_taken(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request took the name after our check
        if "name_key" in str(exc.orig):
            raise NameTaken(name) from exc
        raise


def _with_default_share(data: dict[str, Any] | None, settings: Settings) -> dict[str, Any]:
    data = dict(data or {})
    config = dict(data.get("config") or {})
    config.setdefault("share", settings.default_group_share)
    return {**data, "config": config}


async def create_group(
    session: AsyncSession, authz: Authz, *, actor: User, form: GroupForm, settings: Settings
) -> GroupResponse:
    """Create a group owned by ``actor``. Raises ``InvalidInput`` (permissions outside the
    catalog), ``NameTaken``, ``GroupNotFound`` (parent), ``HierarchyError``."""
    permissions = (
        None
        if form.permissions is None
        else authz_service.validate_permissions(authz, form.permissions)
    )
    key = await _check_name_free(session, form.name, except_id=None)
    await _check_parent(
        session, group_id=None, parent_id=form.parent_group_id, max_depth=settings.max_group_depth
    )
    now = now_epoch()
    group = Group(
        id=new_id(),
        parent_group_id=form.parent_group_id,
        user_id=actor.id,
        name=form.name,
        name_key=key,
        description=form.description,
        data=_with_default_share(form.data, settings),
        meta=None,
        permissions=permissions,
        created_at=now,
        updated_at=now,
    )
    session.add(group)
    await _flush_or_name_taken(session, form.name)
    recorder.record(
        session,
        action="group.create",
        resource_type="group",
        resource_id=group.id,
        after=snapshot(group),
    )
    return to_response(group, 0, redact=False)


def _merge_data(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any] | None:
    """Shallow merge as Open WebUI does, with ``config`` merged one level deeper."""
    if new is None:
        return old
    merged = {**(old or {}), **new}
    if "config" in new or (old and "config" in old):
        merged["config"] = {**((old or {}).get("config") or {}), **(new.get("config") or {})}
    return merged


async def update_group(
    session: AsyncSession,
    authz: Authz,
    *,
    group_id: str,
    form: GroupUpdateForm,
    settings: Settings,
    if_match: str | None = None,
) -> GroupResponse:
    """Apply the fields that were sent. Raises ``GroupNotFound``, ``PreconditionFailed`` (the
    group changed since ``if_match``), ``InvalidInput``, ``NameTaken``, ``HierarchyError``."""
    sent = form.model_fields_set
    permissions = (
        None
        if form.permissions is None
        else authz_service.validate_permissions(authz, form.permissions)
    )
    group = await lock_group(session, group_id, if_match=if_match)
    before = snapshot(group)
    if "name" in sent and form.name is not None:
        group.name_key = await _check_name_free(session, form.name, except_id=group.id)
        group.name = form.name
    if "description" in sent and form.description is not None:
        group.description = form.description
    if "permissions" in sent:
        group.permissions = permissions
    if "data" in sent:
        group.data = _merge_data(group.data, form.data)
    if "parent_group_id" in sent and form.parent_group_id != group.parent_group_id:
        await _check_parent(
            session,
            group_id=group.id,
            parent_id=form.parent_group_id,
            max_depth=settings.max_group_depth,
        )
        group.parent_group_id = form.parent_group_id
    after = snapshot(group)
    if after != before:
        group.updated_at = now_epoch()
        group.revision += 1
        await _flush_or_name_taken(session, group.name)
        reach_changed = (
            before["permissions"] != after["permissions"]
            or before["parent_group_id"] != after["parent_group_id"]
        )
        if reach_changed:
            await bump_revision(session)
        recorder.record(
            session,
            action="group.update",
            resource_type="group",
            resource_id=group.id,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
            affected_user_ids=(
                await memberships.effective_member_ids(session, group.id) if reach_changed else None
            ),
        )
    return await response_for(session, group_id, redact=False)


async def delete_group(
    session: AsyncSession, *, group_id: str, settings: Settings, if_match: str | None = None
) -> None:
    """Delete the group: its children move to its parent, its memberships and the grants naming
    it go with it, and it stops being the default group. Raises ``GroupNotFound``,
    ``PreconditionFailed``."""
    group = await lock_group(session, group_id, if_match=if_match)
    await repository.lock_hierarchy(session)
    affected = await memberships.effective_member_ids(session, group.id)
    members = await memberships.direct_member_ids(session, group.id)
    children = await repository.reparent_children(
        session, group_id=group.id, new_parent_id=group.parent_group_id, now=now_epoch()
    )
    await grants_repository.delete_grants_of_principals(session, "group", [group.id])
    await repository.delete_group(session, group.id)
    await appconfig.forget_default_group(session, group.id, settings=settings)
    await bump_revision(session)
    recorder.record(
        session,
        action="group.delete",
        resource_type="group",
        resource_id=group.id,
        before={**snapshot(group), "member_ids": members, "child_ids": children},
        affected_user_ids=affected,
    )
