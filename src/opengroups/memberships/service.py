"""Membership rules: who is in a group, adding and removing members, the default group.

Every function takes the request's session first and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.config import Settings
from opengroups.errors import UnknownUsers
from opengroups.groups import repository as groups_repository
from opengroups.groups import service as groups_service
from opengroups.groups.schemas import GroupMemberInfo, GroupMembersResponse, GroupResponse
from opengroups.memberships import repository as memberships
from opengroups.memberships.repository import MembershipFilter
from opengroups.models import MembershipSource, User, now_epoch
from opengroups.users import repository as users_repository
from opengroups.users.schemas import UserInfoResponse

MEMBERS_PAGE_SIZE = 30


async def list_direct_members(session: AsyncSession, *, group_id: str) -> list[UserInfoResponse]:
    await groups_service.require_group(session, group_id)
    users = await memberships.direct_members(session, group_id)
    return [UserInfoResponse.model_validate(user) for user in users]


async def list_members(
    session: AsyncSession,
    *,
    group_id: str,
    membership: MembershipFilter,
    query: str | None,
    page: int,
    page_size: int = MEMBERS_PAGE_SIZE,
) -> GroupMembersResponse:
    """A page of the group's direct, inherited or effective members, ordered by name."""
    await groups_service.require_group(session, group_id)
    rows, total, counts = await memberships.member_page(
        session,
        group_id=group_id,
        membership=membership,
        query=query,
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    user_ids = [user.id for user, _ in rows]
    via = await memberships.via_group_ids(session, group_id=group_id, user_ids=user_ids)
    direct_ids = [user.id for user, direct in rows if direct]
    sources = await memberships.sources_by_user(session, group_id=group_id, user_ids=direct_ids)
    items = [
        GroupMemberInfo(
            **UserInfoResponse.model_validate(user).model_dump(),
            membership_type="direct" if direct else "inherited",
            via_group_ids=via.get(user.id, []),
            sources=sources.get(user.id, []),
        )
        for user, direct in rows
    ]
    return GroupMembersResponse(items=items, total=total, counts=counts)


async def _validated_user_ids(session: AsyncSession, user_ids: Sequence[str] | None) -> list[str]:
    wanted = list(dict.fromkeys(user_ids or []))
    known = await users_repository.existing_user_ids(session, wanted)
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
    """Audit (and feed) exactly who joined or left the group's direct members."""
    if added:
        recorder.record(
            session,
            action="group.members.add",
            resource_type="group",
            resource_id=group_id,
            after={"user_ids": sorted(added), "source": source},
            affected_user_ids=list(added),
        )
    if removed:
        recorder.record(
            session,
            action="group.members.remove",
            resource_type="group",
            resource_id=group_id,
            before={"user_ids": sorted(removed)},
            after={"source": source},
            affected_user_ids=list(removed),
        )


async def add_to_group(
    session: AsyncSession, *, group_id: str, user_ids: Sequence[str], source: str
) -> list[str]:
    """Give these (existing) users the ``source`` membership of a group whose row the caller
    has locked; record who became a member. Returns them."""
    if not user_ids:
        return []
    before = await memberships.existing_member_ids(session, group_id, user_ids)
    await memberships.add_memberships(session, group_id=group_id, user_ids=user_ids, source=source)
    added = [uid for uid in user_ids if uid not in before]
    if added:
        await groups_repository.touch_groups(session, [group_id], now_epoch())
        record_membership_change(session, group_id=group_id, added=added, source=source)
    return added


async def add_members(
    session: AsyncSession,
    *,
    group_id: str,
    user_ids: Sequence[str] | None,
    source: MembershipSource = MembershipSource.MANUAL,
    if_match: str | None = None,
) -> GroupResponse:
    """Add users as direct members held by ``source``. Raises ``GroupNotFound``,
    ``PreconditionFailed`` and ``UnknownUsers`` (naming every unknown id) before writing."""
    await groups_service.lock_group(session, group_id, if_match=if_match)
    wanted = await _validated_user_ids(session, user_ids)
    await add_to_group(session, group_id=group_id, user_ids=wanted, source=source.value)
    return await groups_service.response_for(session, group_id, redact=False)


async def remove_members(
    session: AsyncSession,
    *,
    group_id: str,
    user_ids: Sequence[str] | None,
    if_match: str | None = None,
) -> GroupResponse:
    """Remove users from the group whatever source holds them. Raises ``GroupNotFound``,
    ``PreconditionFailed`` and ``UnknownUsers``."""
    await groups_service.lock_group(session, group_id, if_match=if_match)
    wanted = await _validated_user_ids(session, user_ids)
    removed = await memberships.delete_memberships(session, group_id=group_id, user_ids=wanted)
    if removed:
        await groups_repository.touch_groups(session, [group_id], now_epoch())
        record_membership_change(session, group_id=group_id, removed=removed)
    return await groups_service.response_for(session, group_id, redact=False)


async def add_default_membership(session: AsyncSession, *, user: User, settings: Settings) -> None:
    """Put a new user in the configured default group, if there is one and it still exists."""
    group_id = await appconfig.default_group_id(session, settings=settings)
    if group_id is None or await groups_repository.get_group_for_update(session, group_id) is None:
        return
    await add_to_group(
        session, group_id=group_id, user_ids=[user.id], source=MembershipSource.DEFAULT.value
    )
