"""Membership rules: who is in a group, adding and removing members, the default group.

Every function takes the request's session first and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.appconfig import service as appconfig
from opengroups.audit import recorder
from opengroups.config import Settings
from opengroups.errors import GroupNotFound, UnknownUsers
from opengroups.groups import repository as groups_repository
from opengroups.groups import service as groups_service
from opengroups.groups.schemas import GroupMemberInfo, GroupMembersResponse, GroupResponse
from opengroups.memberships import listing
from opengroups.memberships import repository as memberships
from opengroups.memberships.count_cache import INHERITED_COUNTS
from opengroups.memberships.repository import MembershipFilter
from opengroups.models import MembershipSource, User, now_epoch
from opengroups.users import repository as users_repository
from opengroups.users.schemas import UserInfoResponse

MEMBERS_PAGE_SIZE = 30
# The fields of ``UserInfoResponse`` a ``user`` row has (the others keep their defaults), read
# as plain columns straight into each member of a page: one validation per member.
_USER_INFO_FIELDS = tuple(name for name in UserInfoResponse.model_fields if hasattr(User, name))


async def list_direct_members(session: AsyncSession, *, group_id: str) -> list[UserInfoResponse]:
    await groups_service.require_group(session, group_id)
    users = await memberships.direct_members(session, group_id)
    return [UserInfoResponse.model_validate(user) for user in users]


async def _inherited_count(session: AsyncSession, tree: listing.Subtree) -> int:
    """Members through a group below only, from the cache when the subtree has not changed
    since it was counted (``count_cache``)."""
    if not tree.has_below:
        return 0
    key = (str(session.get_bind().engine.url), tree.group_id)
    cached = INHERITED_COUNTS.get(key, tree.signature)
    if cached is not None:
        return cached
    count = await listing.below_only_members(session, tree)
    # Under READ COMMITTED (PostgreSQL) the count may see a newer state than the signature did;
    # keep it only when the subtree still reads the same afterwards.
    again = await listing.subtree(session, tree.group_id)
    if again is not None and again.signature == tree.signature:
        INHERITED_COUNTS.put(key, tree.signature, count)
    return count


async def member_counts(
    session: AsyncSession, tree: listing.Subtree, *, query: str | None
) -> dict[str, int]:
    """``{"direct", "effective", "inherited"}`` member counts, of those matching ``query``."""
    if query:
        users = await listing.user_count(session)
        direct, effective = await listing.matching_counts(session, tree, query=query, users=users)
    else:
        direct = tree.direct_count
        effective = direct + await _inherited_count(session, tree)
    return {"direct": direct, "effective": effective, "inherited": effective - direct}


async def list_members(
    session: AsyncSession,
    *,
    group_id: str,
    membership: MembershipFilter,
    query: str | None,
    page: int,
    page_size: int = MEMBERS_PAGE_SIZE,
) -> GroupMembersResponse:
    """A page of the group's direct, inherited or effective members, ordered by name, with the
    total of that kind and the counts of every kind (all of them matching ``query``). Raises
    ``GroupNotFound``."""
    tree = await listing.subtree(session, group_id)
    if tree is None:
        raise GroupNotFound(group_id)
    await listing.use_custom_plans(session)
    counts = await member_counts(session, tree, query=query)
    total = counts[membership]
    users = await listing.member_page(
        session,
        tree,
        membership=membership,
        query=query,
        total=total,
        limit=page_size,
        offset=(page - 1) * page_size,
        fields=_USER_INFO_FIELDS,
    )
    # Who is a direct member is known from the kind of page, except for effective members.
    mixed = membership == "effective" and tree.has_below
    details = await memberships.page_details(
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
