"""Group rules: creating, changing and deleting groups, and where they sit in the tree.

Every function takes the request's session first and never commits: the caller's transaction
makes the whole operation all-or-nothing. Import (``transfer.importer``) writes groups through
``insert_group`` and ``apply_changes`` too, so a group changes the same way whoever changes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.config import Settings
from opengroups.errors import GroupNotFound, HierarchyError, NameTaken
from opengroups.groups import hierarchy, repository
from opengroups.groups.names import name_key
from opengroups.groups.schemas import GroupForm, GroupModel, GroupResponse, GroupUpdateForm
from opengroups.kit.etags import Tagged, check_if_match
from opengroups.kit.json_values import same_json
from opengroups.kit.locks import Lock, hold
from opengroups.kit.pagination import offset_of
from opengroups.models import Group, User, new_id, now_epoch
from opengroups.permissions import Authz

_GROUP_FIELDS = list(GroupModel.model_fields)
# Fields whose change alters what the group's effective members may do.
_REACH = ("permissions", "parent_group_id")


def to_response(group: Group | Row[Any], member_count: int, *, redact: bool) -> GroupResponse:
    """The group (a ``Group`` or a row with its fields) as a ``GroupResponse``; non-admins get
    ``permissions`` and ``meta`` as null."""
    values = {name: getattr(group, name) for name in _GROUP_FIELDS}
    values["member_count"] = member_count
    if redact:
        values["permissions"] = values["meta"] = None
    return GroupResponse.model_validate(values)


def tagged(group: Group) -> Tagged[GroupResponse]:
    """The admin view of a group loaded in this transaction (fresh: locked or just read),
    with its revision."""
    return Tagged(to_response(group, group.member_count, redact=False), group.revision)


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
    """The group, locked for the rest of the transaction and read fresh, checked against
    ``if_match``.

    Raises ``GroupNotFound`` and ``PreconditionFailed``. Two concurrent writers with the same
    ``If-Match``: the second waits for the lock, then sees the new revision and gets 412.
    """
    group = await repository.get_group_for_update(session, group_id)
    if group is None:
        raise GroupNotFound(group_id)
    check_if_match(if_match, group.revision)
    return group


async def require_group(session: AsyncSession, group_id: str) -> Group:
    group = await repository.get_group(session, group_id)
    if group is None:
        raise GroupNotFound(group_id)
    return group


async def get_group(session: AsyncSession, *, group_id: str) -> Tagged[GroupResponse]:
    """The full group (admin view) with its revision, in one read. Raises ``GroupNotFound``."""
    found = await repository.get_group_with_count(session, group_id)
    if found is None:
        raise GroupNotFound(group_id)
    group, count = found
    return Tagged(to_response(group, count, redact=False), group.revision)


# --- writing -------------------------------------------------------------------------------


async def _check_parent(
    session: AsyncSession, *, group_id: str | None, parent_id: str | None, max_depth: int
) -> None:
    """Refuse a parent that is blank, unknown, inside the group's own subtree, or too deep."""
    if parent_id is None:
        return
    if not parent_id.strip():
        raise HierarchyError("parent_group_id must be a group id or null.")
    await hold(session, Lock.HIERARCHY)
    if await repository.get_group(session, parent_id) is None:
        raise GroupNotFound(parent_id, what="Parent group")
    chain = await hierarchy.ancestor_ids(session, parent_id)
    if group_id is not None and group_id in chain:
        raise HierarchyError("A group cannot be its own parent or a descendant of itself.")
    height = 1
    if group_id is not None:
        height += max((await hierarchy.descendant_levels(session, group_id)).values(), default=0)
    if len(chain) + height > max_depth:
        raise HierarchyError(
            f"The hierarchy would be {len(chain) + height} levels deep; "
            f"at most {max_depth} are allowed."
        )


async def check_name_free(session: AsyncSession, name: str, *, except_id: str | None) -> str:
    key = name_key(name)
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


def insert_group(
    session: AsyncSession,
    *,
    group_id: str,
    owner_id: str,
    fields: Mapping[str, Any],
    created_at: int,
    updated_at: int,
) -> Group:
    """Add a new group (``fields``: name, description, data, meta, permissions, parent) to the
    session and record it; the caller flushes. Checks none of its values. The timestamps are
    the caller's: now for a new group, a bundle's own for an imported one."""
    name = fields["name"]
    group = Group(
        id=group_id,
        user_id=owner_id,
        name_key=name_key(name),
        created_at=created_at,
        updated_at=updated_at,
        revision=1,
        **fields,
    )
    session.add(group)
    recorder.record(
        session,
        action="group.create",
        resource_type="group",
        resource_id=group.id,
        after=snapshot(group),
    )
    return group


async def create_group(
    session: AsyncSession, authz: Authz, *, actor: User, form: GroupForm, settings: Settings
) -> GroupResponse:
    """Create a group owned by ``actor``. Raises ``InvalidInput`` (permissions outside the
    catalog), ``NameTaken``, ``GroupNotFound`` (parent), ``HierarchyError``."""
    group = await create_owned_group(
        session, authz, owner_id=actor.id, form=form, settings=settings
    )
    return to_response(group, 0, redact=False)


async def create_owned_group(
    session: AsyncSession,
    authz: Authz,
    *,
    owner_id: str,
    form: GroupForm,
    settings: Settings,
    provisioning: Mapping[str, Any] | None = None,
) -> Group:
    """``create_group`` for any owner (a user, or a provisioning client); ``provisioning``:
    the SCIM columns (``external_id``, ``scim``). Raises as ``create_group``."""
    permissions = None if form.permissions is None else authz.validated(form.permissions)
    await check_name_free(session, form.name, except_id=None)
    await _check_parent(
        session, group_id=None, parent_id=form.parent_group_id, max_depth=settings.max_group_depth
    )
    now = now_epoch()
    group = insert_group(
        session,
        group_id=new_id(),
        owner_id=owner_id,
        fields={
            "name": form.name,
            "description": form.description,
            "data": _with_default_share(form.data, settings),
            "meta": None,
            "permissions": permissions,
            "parent_group_id": form.parent_group_id,
            **(provisioning or {}),
        },
        created_at=now,
        updated_at=now,
    )
    await _flush_or_name_taken(session, form.name)
    return group


async def apply_changes(
    session: AsyncSession, group: Group, changes: Mapping[str, Any], *, now: int
) -> bool:
    """Set these fields of a locked group (values already checked); when anything changed,
    give it a new revision and record the change, naming its effective members as affected
    when its permissions or its place in the tree changed. Returns whether it changed (JSON
    fields by value: ``kit.json_values``)."""
    changes = {k: v for k, v in changes.items() if not same_json(getattr(group, k), v)}
    if not changes:
        return False
    before = snapshot(group)
    for key, value in changes.items():
        setattr(group, key, value)
        if key == "name":
            group.name_key = name_key(value)
    after = snapshot(group)
    if after == before:
        return False
    group.updated_at = now
    group.revision += 1
    await _flush_or_name_taken(session, group.name)
    reach_changed = any(before[key] != after[key] for key in _REACH)
    recorder.record(
        session,
        action="group.update",
        resource_type="group",
        resource_id=group.id,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
        affected_user_ids=(
            await hierarchy.effective_member_ids(session, group.id) if reach_changed else None
        ),
    )
    return True


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
) -> Tagged[GroupResponse]:
    """Apply the fields that were sent. Raises ``GroupNotFound``, ``PreconditionFailed`` (the
    group changed since ``if_match``), ``InvalidInput``, ``NameTaken``, ``HierarchyError``."""
    sent = form.model_fields_set
    permissions = None if form.permissions is None else authz.validated(form.permissions)
    group = await lock_group(session, group_id, if_match=if_match)
    changes: dict[str, Any] = {}
    if form.name is not None:
        await check_name_free(session, form.name, except_id=group.id)
        changes["name"] = form.name
    if form.description is not None:
        changes["description"] = form.description
    if form.permissions is not None:
        changes["permissions"] = permissions
    if form.data is not None:
        changes["data"] = _merge_data(group.data, form.data)
    if "parent_group_id" in sent and form.parent_group_id != group.parent_group_id:
        await _check_parent(
            session,
            group_id=group.id,
            parent_id=form.parent_group_id,
            max_depth=settings.max_group_depth,
        )
        changes["parent_group_id"] = form.parent_group_id
    await apply_changes(session, group, changes, now=now_epoch())
    return tagged(group)


async def delete_group(
    session: AsyncSession, *, group_id: str, settings: Settings, if_match: str | None = None
) -> None:
    """Delete the group: its children move to its parent, its memberships and the grants naming
    it go with it (the grants by a trigger, whoever deletes it), and it stops being the default
    group. Raises ``GroupNotFound``, ``PreconditionFailed``."""
    group = await lock_group(session, group_id, if_match=if_match)
    await hold(session, Lock.HIERARCHY)
    affected = await hierarchy.effective_member_ids(session, group.id)
    members = await repository.direct_member_ids(session, group.id)
    children = await repository.reparent_children(
        session, group_id=group.id, new_parent_id=group.parent_group_id, now=now_epoch()
    )
    await repository.delete_group(session, group.id)
    await appconfig.forget_default_group(session, group.id, settings=settings)
    recorder.record(
        session,
        action="group.delete",
        resource_type="group",
        resource_id=group.id,
        before={**snapshot(group), "member_ids": members, "child_ids": children},
        affected_user_ids=affected,
    )


# --- the tree, for the admin page ----------------------------------------------------------


async def tree(session: AsyncSession) -> list[hierarchy.TreeNode]:
    """Every group in tree order (each followed by its children, siblings by name)."""
    return await hierarchy.tree(session)


def tree_page(
    nodes: Sequence[hierarchy.TreeNode], *, query: str | None, page: int, page_size: int
) -> tuple[list[hierarchy.TreeNode], int]:
    """A page of ``tree``'s nodes, optionally only those whose name contains ``query``
    (ignoring case), and how many there are in all."""
    if query:
        wanted = name_key(query)
        nodes = [node for node in nodes if wanted in name_key(node.name)]
    start = offset_of(page, page_size)
    return list(nodes[start : start + page_size]), len(nodes)


def possible_parents(
    nodes: Sequence[hierarchy.TreeNode], group_id: str | None
) -> list[hierarchy.TreeNode]:
    """The groups of ``tree`` that could be the parent of ``group_id`` (none: of a new group):
    not the group itself nor a group below it."""
    return list(nodes) if group_id is None else hierarchy.without_subtree(nodes, group_id)


async def group_names(session: AsyncSession, group_ids: Iterable[str]) -> dict[str, str]:
    """The names of the groups that exist among ``group_ids``, by id (one query)."""
    return {group.id: group.name for group in await repository.groups_by_ids(session, group_ids)}


async def deletion_summary(session: AsyncSession, group_id: str) -> tuple[int, int]:
    """``(effective members, children)`` of a group, what deleting it touches."""
    effective = await hierarchy.effective_member_ids(session, group_id)
    children = await repository.child_ids(session, group_id)
    return len(effective), len(children)
