"""Membership rules: who is in a group, adding and removing members, the default group.

Every function takes the request's session first and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.caching import Caches
from opengroups.config import Settings
from opengroups.errors import GroupNotFound, UnknownUsers
from opengroups.groups import repository as groups_repository
from opengroups.groups import service as groups_service
from opengroups.groups.schemas import GroupResponse
from opengroups.kit.etags import Tagged
from opengroups.kit.pagination import offset_of
from opengroups.memberships import repository
from opengroups.memberships.members_page import reader
from opengroups.memberships.members_page.costs import CostModel
from opengroups.memberships.schemas import (
    GroupMemberInfo,
    GroupMembersResponse,
    MembershipFilter,
    UserInfoResponse,
)
from opengroups.models import Group, MembershipSource, User, now_epoch

MEMBERS_PAGE_SIZE = 30
COSTS = CostModel()
# The fields of ``UserInfoResponse`` a ``user`` row has (the others keep their defaults), read
# as plain columns straight into each member of a page: one validation per member.
_USER_INFO_FIELDS = tuple(name for name in UserInfoResponse.model_fields if hasattr(User, name))


async def list_direct_members(session: AsyncSession, *, group_id: str) -> list[UserInfoResponse]:
    await groups_service.require_group(session, group_id)
    users = await repository.direct_members(session, group_id)
    return [UserInfoResponse.model_validate(user) for user in users]


async def list_members(
    session: AsyncSession,
    caches: Caches,
    *,
    group_id: str,
    membership: MembershipFilter,
    query: str | None,
    page: int,
    page_size: int = MEMBERS_PAGE_SIZE,
    costs: CostModel = COSTS,
) -> GroupMembersResponse:
    """A page of the group's direct, inherited or effective members, ordered by name, with the
    total of that kind and the counts of every kind (all of them matching ``query``). Raises
    ``GroupNotFound``. ``costs`` choose how it is read (``members_page``), never what."""
    tree = await reader.subtree(session, group_id)
    if tree is None:
        raise GroupNotFound(group_id)
    await reader.use_custom_plans(session)
    counts = await reader.counts(session, caches, costs, tree, query=query)
    total = counts[membership]
    users = await reader.page(
        session,
        caches,
        costs,
        tree,
        membership=membership,
        query=query,
        total=total,
        limit=page_size,
        offset=offset_of(page, page_size),
        fields=_USER_INFO_FIELDS,
    )
    # Who is a direct member is known from the kind of page, except for effective members.
    mixed = membership == "effective" and tree.has_below
    details = await reader.details(
        session,
        group_id=group_id,
        user_ids=[user.id for user in users],
        with_via=tree.has_below,
        with_direct=mixed,
    )
    all_direct = membership == "direct" or not tree.has_below
    items = [
        GroupMemberInfo.model_validate(
            {
                **user._mapping,
                "membership_type": (
                    "direct" if all_direct or (mixed and user.id in details.direct) else "inherited"
                ),
                "via_group_ids": details.via.get(user.id, []),
                "sources": details.sources.get(user.id, []),
            }
        )
        for user in users
    ]
    return GroupMembersResponse(items=items, total=total, counts=counts)


async def _validated_user_ids(session: AsyncSession, user_ids: Sequence[str] | None) -> list[str]:
    wanted = list(dict.fromkeys(user_ids or []))
    known = await repository.known_user_ids(session, wanted)
    unknown = [uid for uid in wanted if uid not in known]
    if unknown:
        raise UnknownUsers(unknown)
    return wanted


def record_membership_change(
    session: AsyncSession,
    *,
    group_id: str,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
    source: str | None = None,
) -> None:
    """Audit (and feed, and invalidate the caches of) exactly who joined or left the group's
    direct members."""
    if added:
        recorder.record(
            session,
            action="group.members.add",
            resource_type="group",
            resource_id=group_id,
            after={"user_ids": sorted(added), "source": source},
            affected_user_ids=added,
        )
    if removed:
        recorder.record(
            session,
            action="group.members.remove",
            resource_type="group",
            resource_id=group_id,
            before={"user_ids": sorted(removed)},
            after={"source": source},
            affected_user_ids=removed,
        )


async def add_to_group(
    session: AsyncSession, *, group: Group, user_ids: Sequence[str], source: str
) -> list[str]:
    """Give these (existing) users the ``source`` membership of a group the caller has locked;
    record who became a member. Returns them."""
    if not user_ids:
        return []
    before = await repository.existing_member_ids(session, group.id, user_ids)
    await repository.add_memberships(session, group_id=group.id, user_ids=user_ids, source=source)
    added = [uid for uid in user_ids if uid not in before]
    if added:
        await groups_repository.touch_group(session, group, now_epoch())
        record_membership_change(session, group_id=group.id, added=added, source=source)
    return added


async def withdraw_from_group(
    session: AsyncSession, *, group: Group, user_ids: Sequence[str], source: str
) -> list[str]:
    """Take the ``source`` membership away from these users of a group the caller has locked;
    those no other source holds stop being members, and are recorded. Returns them."""
    removed = await repository.withdraw_source(
        session, group_id=group.id, user_ids=user_ids, source=source
    )
    if removed:
        await groups_repository.touch_group(session, group, now_epoch())
        record_membership_change(session, group_id=group.id, removed=removed, source=source)
    return removed


async def members_held_by(session: AsyncSession, *, group_id: str, source: str) -> set[str]:
    """The users whose membership of the group ``source`` holds (others may hold it too)."""
    return (await repository.members_by_source(session, group_ids=[group_id], source=source))[
        group_id
    ]


async def groups_held_by(session: AsyncSession, *, user_id: str, source: str) -> set[str]:
    """The groups whose membership of the user ``source`` holds (others may hold it too)."""
    return await repository.group_ids_held_by(session, user_id=user_id, source=source)


async def add_members(
    session: AsyncSession,
    *,
    group_id: str,
    user_ids: Sequence[str] | None,
    source: MembershipSource = MembershipSource.MANUAL,
    if_match: str | None = None,
) -> Tagged[GroupResponse]:
    """Add users as direct members held by ``source``. Raises ``GroupNotFound``,
    ``PreconditionFailed`` and ``UnknownUsers`` (naming every unknown id) before writing."""
    group = await groups_service.lock_group(session, group_id, if_match=if_match)
    wanted = await _validated_user_ids(session, user_ids)
    await add_to_group(session, group=group, user_ids=wanted, source=source.value)
    return groups_service.tagged(group)


async def remove_members(
    session: AsyncSession,
    *,
    group_id: str,
    user_ids: Sequence[str] | None,
    if_match: str | None = None,
) -> Tagged[GroupResponse]:
    """Remove users from the group whatever source holds them. Raises ``GroupNotFound``,
    ``PreconditionFailed`` and ``UnknownUsers``."""
    group = await groups_service.lock_group(session, group_id, if_match=if_match)
    wanted = await _validated_user_ids(session, user_ids)
    removed = await repository.delete_memberships(session, group_id=group.id, user_ids=wanted)
    if removed:
        await groups_repository.touch_group(session, group, now_epoch())
        record_membership_change(session, group_id=group.id, removed=removed)
    return groups_service.tagged(group)


async def add_default_membership(session: AsyncSession, *, user: User, settings: Settings) -> None:
    """Put a new user in the configured default group, if there is one and it still exists."""
    group_id = await appconfig.default_group_id(session, settings=settings)
    if group_id is None:
        return
    group = await groups_repository.get_group_for_update(session, group_id)
    if group is not None:
        await add_to_group(
            session, group=group, user_ids=[user.id], source=MembershipSource.DEFAULT.value
        )
