"""SCIM groups: create, read, list, replace, patch and delete groups, by the same rules as the
API (``groups.service``: names unique case-insensitively, the hierarchy's depth and cycle
checks, every change recorded).

Membership changes are set operations on the memberships this client holds (source
``scim:<client id>``): adding inserts what is absent, removing withdraws this client's source,
and a member another source also holds (an admin, the default group, another client) stays a
member. A PATCH that names its members (add, remove by value or by ``value eq`` filter,
replace) reads only those memberships, never the member list; other forms (a filter on
another sub-attribute) read the list and let scim2-models apply the operation.

A member of type Group is a child group: adding it sets its parent, removing it moves it to
the top; a group has one parent, so a group already under another is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from scim2_models import (
    Context,
    InvalidValueException,
    PatchOp,
    PatchOperation,
)
from scim2_models import Group as GroupResource
from scim2_models.path import CompareOperator, Comparison, LogicalExpr, LogicalOperator, ValuePath
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.audit import recorder
from opengroups.groups import service as groups_service
from opengroups.groups.schemas import GroupForm, GroupUpdateForm
from opengroups.memberships import service as memberships_service
from opengroups.models import Group, now_epoch
from opengroups.scim import dialects, documents, filters, repository
from opengroups.scim.calls import Answer, Call, Parameters, Query, ResourceKind
from opengroups.scim.clients import membership_source
from opengroups.scim.users import InvalidResource

_MEMBERS = "members"
_GROUP_URN_PREFIX = documents.GROUP_SCHEMA.lower() + ":"


def parse(payload: Any, context: Context) -> GroupResource:
    try:
        return GroupResource.model_validate(payload, scim_ctx=context, scim_policy=dialects.POLICY)
    except ValidationError as exc:
        raise InvalidResource(exc) from exc


def _display_name(value: str) -> str:
    """The name rules of the API (``GroupForm``), as a SCIM error."""
    try:
        return GroupForm(name=value).name
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"] if exc.errors() else "is not a valid name"
        raise InvalidValueException(detail=f"displayName: {problem}.") from exc


async def _answer(
    call: Call,
    group: Group,
    parameters: Parameters,
    members: tuple[list[str], list[str]] | None = None,
) -> Answer:
    """The group's document; ``members`` when already read (``list_groups``), else read here
    when the answer shows them."""
    if members is None and _wants_members(parameters):
        members = await repository.member_ids(call.session, group.id)
    users, groups = members if members is not None else (None, None)
    document = documents.group_json(
        group, call.base, member_user_ids=users, member_group_ids=groups
    )
    return Answer(
        documents.render(document, GroupResource, parameters),
        documents.version_of(group.revision),
    )


def _wants_members(parameters: Parameters) -> bool:
    """Whether the answer shows members: not when excluded, nor when other attributes were
    asked for (then ``group_member`` is not read at all)."""
    if parameters is None:
        return True
    named = {
        str(path).lower().removeprefix(_GROUP_URN_PREFIX).split(".")[0]
        for path in parameters.excluded_attributes or []
    }
    if _MEMBERS in named:
        return False
    if parameters.attributes:
        asked = {
            str(path).lower().removeprefix(_GROUP_URN_PREFIX).split(".")[0]
            for path in parameters.attributes
        }
        return _MEMBERS in asked
    return True


async def get_group(call: Call, group_id: str, parameters: Parameters) -> Answer:
    group = await groups_service.require_group(call.session, group_id)
    return await _answer(call, group, parameters)


async def list_groups(call: Call, query: Query) -> tuple[int, list[dict[str, Any]]]:
    """``(totalResults, resources)`` of one page, filtered, sorted and cut in SQL (members
    read for the whole page at once, and only when the answer shows them)."""
    total, groups = await repository.page(
        call.session,
        Group,
        where=filters.group_filter(query.filter_text) if query.filter_text else None,
        order=filters.group_order(query.sort_by) if query.sort_by else None,
        descending=query.descending,
        offset=query.start_index - 1,
        limit=query.count,
    )
    members = (
        await repository.members_of(call.session, [group.id for group in groups])
        if groups and _wants_members(query.parameters)
        else {}
    )
    return total, [
        (await _answer(call, group, query.parameters, members.get(group.id))).body
        for group in groups
    ]


# --- memberships -------------------------------------------------------------------------


@dataclass
class _MemberChanges:
    """What a request does to the group's members, as sets of ids."""

    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    # None: leave the client's other memberships alone; a list: exactly these afterwards.
    replace: list[str] | None = None


def _ids(value: Any) -> list[str]:
    """The member ids of a ``members`` value (a list of ``{"value": id}``, or one)."""
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        member = item.get("value") if isinstance(item, dict) else getattr(item, "value", None)
        if not isinstance(member, str) or not member:
            raise InvalidValueException(detail="members: every member needs a value (its id).")
        found.append(member)
    return list(dict.fromkeys(found))


async def _split(session: AsyncSession, ids: Sequence[str]) -> tuple[list[str], list[str]]:
    """``ids`` as ``(user ids, group ids)``; an id naming neither is refused."""
    found_users, found_groups = await repository.existing_ids(session, ids)
    unknown = [i for i in ids if i not in found_users and i not in found_groups]
    if unknown:
        raise InvalidValueException(
            detail=f"members: no user or group has the id {', '.join(sorted(unknown))}."
        )
    return [i for i in ids if i in found_users], [i for i in ids if i in found_groups]


async def _apply_members(call: Call, group: Group, changes: _MemberChanges) -> None:
    """Apply ``changes`` to a locked group as this client's memberships (and child groups)."""
    session = call.session
    source = membership_source(call.client.id)
    wanted = list(dict.fromkeys(changes.add + (changes.replace or [])))
    add_users, add_groups = await _split(session, wanted)
    remove = list(changes.remove)
    if changes.replace is not None:
        held = await memberships_service.members_held_by(session, group_id=group.id, source=source)
        _users, children = await repository.member_ids(session, group.id)
        keep = set(changes.replace)
        remove += [uid for uid in sorted(held) if uid not in keep]
        remove += [gid for gid in children if gid not in keep]
    remove = [i for i in dict.fromkeys(remove) if i not in wanted]
    if remove:
        removed_users, removed_groups = await repository.existing_ids(session, remove)
        await memberships_service.withdraw_from_group(
            session, group=group, user_ids=sorted(removed_users), source=source
        )
        for child_id in sorted(removed_groups):
            await _move(call, child_id, from_parent=group.id, to=None)
    await memberships_service.add_to_group(session, group=group, user_ids=add_users, source=source)
    for child_id in add_groups:
        await _move(call, child_id, from_parent=None, to=group.id)


async def _move(call: Call, child_id: str, *, from_parent: str | None, to: str | None) -> None:
    """Make a group a member of another (``to``), or take it out of ``from_parent``."""
    child = await groups_service.require_group(call.session, child_id)
    if to is not None:
        if child.parent_group_id == to:
            return
        if child.parent_group_id is not None:
            raise InvalidValueException(
                detail=f"members: group '{child.name}' is already a member of another group "
                "(a group has one parent)."
            )
    elif child.parent_group_id != from_parent:
        return
    await groups_service.update_group(
        call.session,
        call.authz,
        group_id=child_id,
        form=GroupUpdateForm(parent_group_id=to),
        settings=call.settings,
    )


# --- writes ------------------------------------------------------------------------------


async def _set_provisioned(
    session: AsyncSession, group: Group, values: documents.GroupValues
) -> None:
    """Set the group's SCIM columns, recorded as a change of the group when they changed."""
    before = {"external_id": group.external_id, "scim": group.scim}
    after = {"external_id": values.external_id, "scim": values.document}
    if before == after:
        return
    group.external_id, group.scim = values.external_id, values.document
    group.updated_at = now_epoch()
    group.revision += 1
    recorder.record(
        session,
        action="group.update",
        resource_type="group",
        resource_id=group.id,
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if before[k] != v},
    )


async def create_group(call: Call, payload: Any) -> Answer:
    """Create a group with its members (held by this client). Raises SCIM errors:
    ``uniqueness`` for a displayName in use, ``invalidValue``."""
    resource = parse(payload, Context.RESOURCE_CREATION_REQUEST)
    values = documents.group_values(resource)
    group = await groups_service.create_owned_group(
        call.session,
        call.authz,
        owner_id=call.client.created_by or call.client.id,
        form=GroupForm(name=_display_name(values.display_name)),
        settings=call.settings,
        provisioning={"external_id": values.external_id, "scim": values.document},
    )
    if resource.members:
        locked = await groups_service.lock_group(call.session, group.id, if_match=None)
        await _apply_members(call, locked, _MemberChanges(add=_ids(resource.members)))
    return await _answer(call, group, None)


async def _rename(session: AsyncSession, group: Group, display_name: str) -> None:
    if display_name != group.name:
        name = _display_name(display_name)
        await groups_service.check_name_free(session, name, except_id=group.id)
        await groups_service.apply_changes(session, group, {"name": name}, now=now_epoch())


async def replace_group(call: Call, group_id: str, payload: Any, if_match: str | None) -> Answer:
    """Replace the group's attributes and this client's memberships (others' stay)."""
    resource = parse(payload, Context.RESOURCE_REPLACEMENT_REQUEST)
    values = documents.group_values(resource)
    group = await groups_service.lock_group(call.session, group_id, if_match=if_match)
    await _rename(call.session, group, values.display_name)
    await _set_provisioned(call.session, group, values)
    await _apply_members(call, group, _MemberChanges(replace=_ids(resource.members or [])))
    return await _answer(call, group, None)


def _parse_patch(payload: Any) -> PatchOp[GroupResource]:
    try:
        return PatchOp[GroupResource].model_validate(
            payload, scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=dialects.POLICY
        )
    except ValidationError as exc:
        raise InvalidResource(exc) from exc


def _targets_members(operation: PatchOperation[Any]) -> bool:
    if operation.path is None:
        return False
    text = str(operation.path).lower().removeprefix(_GROUP_URN_PREFIX)
    return text == _MEMBERS or text.startswith((_MEMBERS + "[", _MEMBERS + "."))


def _value_ids(node: Any) -> list[str] | None:
    """The ids a member filter names when it is ``value eq "…"`` (or several, joined by
    ``or``); None for any other filter."""
    if isinstance(node, Comparison):
        simple = (
            node.attr_path.attr.lower() == "value"
            and node.attr_path.sub_attr is None
            and node.op == CompareOperator.eq
            and isinstance(node.value, str)
        )
        return [node.value] if simple else None
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.or_:
        found: list[str] = []
        for term in node.terms:
            ids = _value_ids(term)
            if ids is None:
                return None
            found += ids
        return found
    return None


def _simple_changes(operation: PatchOperation[Any], changes: _MemberChanges) -> bool:
    """Fold an operation on ``members`` into ``changes`` when it names its members; False
    when it needs the member list (``_general_changes``)."""
    ast = operation.path.ast if operation.path is not None else None
    op = operation.op
    if isinstance(ast, ValuePath):
        ids = _value_ids(ast.val_filter)
        if ids is None or ast.sub_attr is not None or op != PatchOperation.Op.remove:
            return False
        changes.remove += ids
        return True
    if str(operation.path).lower().removeprefix(_GROUP_URN_PREFIX) != _MEMBERS:
        return False  # members.value, members.display: a sub-attribute of every member
    if op == PatchOperation.Op.add:
        changes.add += _ids(operation.value or [])
    elif op == PatchOperation.Op.remove:
        if operation.value is None:
            changes.replace = []  # every member this client holds
        else:
            changes.remove += _ids(operation.value)  # Entra's remove by value
    else:
        changes.replace = _ids(operation.value or [])
    return True


async def patch_group(
    call: Call, group_id: str, payload: Any, if_match: str | None, parameters: Parameters
) -> Answer | str:
    """Apply a PATCH atomically: operations on members as set operations of this client's
    memberships (in their order), the others by scim2-models on the group's attributes.

    Answers the group only when ``attributes`` or ``excludedAttributes`` ask for it; otherwise
    its new version alone (204, RFC 7644 §3.5.2): the cost of a member's change must not grow
    with the group, and the whole resource would carry every member."""
    patch = _parse_patch(payload)
    group = await groups_service.lock_group(call.session, group_id, if_match=if_match)
    others: list[PatchOperation[Any]] = []
    member_operations: list[PatchOperation[Any]] = []
    for operation in patch.operations or []:
        if operation.path is None and isinstance(operation.value, dict):
            value = dict(operation.value)
            members = next((k for k in value if k.lower() == _MEMBERS), None)
            if members is not None:
                member_operations.append(
                    PatchOperation[GroupResource].model_validate(
                        {"op": operation.op.value, "path": _MEMBERS, "value": value.pop(members)},
                        scim_ctx=Context.RESOURCE_PATCH_REQUEST,
                        scim_policy=dialects.POLICY,
                    )
                )
            if value:
                others.append(operation.model_copy(update={"value": value}))
        elif _targets_members(operation):
            member_operations.append(operation)
        else:
            others.append(operation)
    if others:
        await _patch_attributes(call.session, group, others)
    for operation in member_operations:
        changes = _MemberChanges()
        if not _simple_changes(operation, changes):
            changes = await _general_changes(call, group, operation)
        await _apply_members(call, group, changes)
    if parameters is None:
        return documents.version_of(group.revision)
    return await _answer(call, group, parameters)


async def _patch_attributes(
    session: AsyncSession, group: Group, operations: list[PatchOperation[Any]]
) -> None:
    document = documents.group_json(group, "", member_user_ids=None, member_group_ids=None)
    resource = GroupResource.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    patch = PatchOp[GroupResource](operations=operations)
    try:
        patch.patch(resource, scim_policy=dialects.POLICY)
    except ValidationError as exc:
        raise InvalidResource(exc) from exc
    values = documents.group_values(resource)
    await _rename(session, group, values.display_name)
    await _set_provisioned(session, group, values)


async def _general_changes(
    call: Call, group: Group, operation: PatchOperation[Any]
) -> _MemberChanges:
    """An operation on members that needs the member list: scim2-models applies it to the
    whole list, and the difference is what changes."""
    users, children = await repository.member_ids(call.session, group.id)
    document = documents.group_json(
        group, call.base, member_user_ids=users, member_group_ids=children
    )
    resource = GroupResource.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    try:
        PatchOp[GroupResource](operations=[operation]).patch(resource, scim_policy=dialects.POLICY)
    except ValidationError as exc:
        raise InvalidResource(exc) from exc
    before = set(users) | set(children)
    after = set(_ids(resource.members or []))
    return _MemberChanges(add=sorted(after - before), remove=sorted(before - after))


async def delete_group(call: Call, group_id: str, if_match: str | None) -> None:
    """Delete the group as an admin would (children move up, memberships and grants go)."""
    await groups_service.delete_group(
        call.session, group_id=group_id, settings=call.settings, if_match=if_match
    )


KIND = ResourceKind(
    endpoint="/Groups",
    model=GroupResource,
    get=get_group,
    listing=list_groups,
    create=create_group,
    replace=replace_group,
    patch=patch_group,
    delete=delete_group,
)
