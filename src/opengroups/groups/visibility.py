"""Which groups a caller may see (SPEC §1/§2): ``GET /groups/``, ``/info``, and the share rule
applied in SQL (``share_sql``), so that a list is filtered and paged by the database."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.errors import GroupNotFound
from opengroups.groups import repository
from opengroups.groups.hierarchy import MEMBER_GROUPS
from opengroups.groups.schemas import GroupInfoResponse, GroupResponse
from opengroups.groups.service import to_response
from opengroups.groups.share_sql import share_mode
from opengroups.models import Group, User
from opengroups.permissions.share import SHARE_FALSE, SHARE_MEMBERS, SHARE_TRUE

# The viewer's groups, bound with ``MEMBER_GROUPS.bind(viewer.id)`` when the query runs.
_VIEWERS_GROUP = Group.id.in_(MEMBER_GROUPS.ids)


def _sees_everything(viewer: User) -> bool:
    return viewer.role == "admin"


def _visibility(session: AsyncSession, share: bool | None) -> list[ColumnElement[bool]]:
    """The WHERE conditions of ``GET /groups/`` for a non-admin:

    - no ``share``: groups the viewer is an effective member of;
    - ``share=true``: groups shared with everyone, plus members-only groups the viewer is in;
    - ``share=false``: non-shared groups the viewer is in.
    """
    mode = share_mode(session.get_bind().dialect.name)
    if share is None:
        return [_VIEWERS_GROUP]
    if share:
        return [or_(mode == SHARE_TRUE, (mode == SHARE_MEMBERS) & _VIEWERS_GROUP)]
    return [mode == SHARE_FALSE, _VIEWERS_GROUP]


async def list_visible_groups(
    session: AsyncSession,
    *,
    viewer: User,
    share: bool | None,
    query: str | None,
    limit: int | None,
    offset: int,
) -> tuple[list[GroupResponse], int]:
    """The groups ``viewer`` may list, newest change first, and how many there are in all.

    Admins see every group whatever ``share`` says; others get ``permissions`` and ``meta``
    as null.
    """
    admin = _sees_everything(viewer)
    conditions = [] if admin else _visibility(session, share)
    rows, total = await repository.list_groups(
        session,
        conditions=conditions,
        query=query,
        limit=limit,
        offset=offset,
        params=MEMBER_GROUPS.bind(viewer.id),
    )
    return [to_response(row, row.member_count, redact=not admin) for row in rows], total


def _seen(session: AsyncSession) -> ColumnElement[bool]:
    """A group a non-admin may see: shared with everyone, or one they are in."""
    return or_(share_mode(session.get_bind().dialect.name) == SHARE_TRUE, _VIEWERS_GROUP)


async def can_see_group(session: AsyncSession, *, viewer: User, group: Group) -> bool:
    """Admins see every group; others see groups shared with everyone and groups they are in."""
    if _sees_everything(viewer):
        return True
    count = await repository.count_groups(
        session,
        conditions=[Group.id == group.id, _seen(session)],
        query=None,
        params=MEMBER_GROUPS.bind(viewer.id),
    )
    return count > 0


async def visible_among(session: AsyncSession, *, viewer: User, groups: list[Group]) -> list[Group]:
    """Those of ``groups`` the viewer may see (``can_see_group``), in one query."""
    if _sees_everything(viewer) or not groups:
        return groups
    rows, _total = await repository.list_groups(
        session,
        conditions=[Group.id.in_([g.id for g in groups]), _seen(session)],
        query=None,
        limit=None,
        offset=0,
        params=MEMBER_GROUPS.bind(viewer.id),
    )
    seen = {row.id for row in rows}
    return [group for group in groups if group.id in seen]


async def get_group_info(
    session: AsyncSession, *, viewer: User, group_id: str
) -> GroupInfoResponse:
    """Name, parent and member count of a group the viewer may see; otherwise ``GroupNotFound``.

    A group the viewer may not see is reported as missing, so its existence does not leak.
    """
    found = await repository.get_group_with_count(session, group_id)
    if found is None or not await can_see_group(session, viewer=viewer, group=found[0]):
        raise GroupNotFound(group_id)
    group, count = found
    return GroupInfoResponse.model_validate(to_response(group, count, redact=False).model_dump())
