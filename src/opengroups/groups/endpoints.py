"""``/api/v1/groups``: Open WebUI 0.12.4's group routes, with the divergences in docs/."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from opengroups.dependencies import (
    AdminUser,
    IfMatch,
    IfNoneMatch,
    Offset,
    Page,
    RuntimeDep,
    SessionDep,
    VerifiedUser,
)
from opengroups.grants import preview
from opengroups.groups import service, visibility
from opengroups.groups.schemas import (
    GroupForm,
    GroupInfoResponse,
    GroupResponse,
    GroupUpdateForm,
    UserIdsForm,
)
from opengroups.kit.etags import Tagged, matches_none
from opengroups.memberships import service as memberships_service
from opengroups.memberships.schemas import (
    GroupMembersResponse,
    MembershipFilter,
    UserInfoResponse,
)
from opengroups.openapi import refusals

router = APIRouter(prefix="/api/v1/groups", tags=["groups"])


def _with_etag(response: Response, tagged: Tagged[GroupResponse]) -> GroupResponse:
    response.headers["ETag"] = tagged.etag
    return tagged.value


@router.get("/", response_model=list[GroupResponse])
async def list_groups(
    response: Response,
    session: SessionDep,
    user: VerifiedUser,
    share: bool | None = None,
    query: Annotated[str | None, Query(max_length=255)] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    offset: Offset = 0,
) -> list[GroupResponse]:
    """Groups visible to the caller, newest change first; ``X-Total-Count`` holds the total.

    Admins see every group. Others see the groups they are an effective member of; with
    ``share=true``, groups shared with everyone plus members-only groups they are in; with
    ``share=false``, non-shared groups they are in.
    """
    groups, total = await visibility.list_visible_groups(
        session,
        viewer=user,
        share=share,
        query=query,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return groups


@router.post("/create", response_model=GroupResponse, responses=refusals(400, 404, 409))
async def create_group(
    form: GroupForm, session: SessionDep, runtime: RuntimeDep, admin: AdminUser
) -> GroupResponse:
    """Create a group (admins only), at the top or under ``parent_group_id``. Without
    ``data.config.share`` it gets ``OPENGROUPS_DEFAULT_GROUP_SHARE``. 409 when the name is
    taken (names are case-insensitive), 404 for an unknown parent, 400 for a hierarchy deeper
    than ``OPENGROUPS_MAX_GROUP_DEPTH``."""
    return await service.create_group(
        session, runtime.authz, actor=admin, form=form, settings=runtime.settings
    )


@router.get("/id/{group_id}", response_model=GroupResponse)
async def get_group(
    group_id: str,
    response: Response,
    session: SessionDep,
    _admin: AdminUser,
    if_none_match: IfNoneMatch = None,
) -> GroupResponse | Response:
    """The group, with its revision as ``ETag``; ``If-None-Match`` with it answers 304."""
    tagged = await service.get_group(session, group_id=group_id)
    if matches_none(if_none_match, tagged.revision):
        return Response(status_code=304, headers={"ETag": tagged.etag})
    return _with_etag(response, tagged)


@router.get("/id/{group_id}/info", response_model=GroupInfoResponse)
async def get_group_info(
    group_id: str, session: SessionDep, user: VerifiedUser
) -> GroupInfoResponse:
    """Summary of a group the caller may see (an admin, a member, or a group shared with all)."""
    return await visibility.get_group_info(session, viewer=user, group_id=group_id)


@router.post("/id/{group_id}/users", response_model=list[UserInfoResponse])
async def list_group_users(
    group_id: str, session: SessionDep, _admin: AdminUser
) -> list[UserInfoResponse]:
    """The direct members (unpaginated, as Open WebUI; prefer ``GET .../members``)."""
    return await memberships_service.list_direct_members(session, group_id=group_id)


@router.get("/id/{group_id}/members", response_model=GroupMembersResponse)
async def list_group_members(
    group_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    _admin: AdminUser,
    membership: MembershipFilter = "effective",
    query: Annotated[str | None, Query(max_length=255)] = None,
    page: Page = 1,
    limit: Annotated[int, Query(ge=1, le=1000)] = memberships_service.MEMBERS_PAGE_SIZE,
) -> GroupMembersResponse:
    """A page of members: ``direct``, ``inherited`` (through a group below) or ``effective``
    (both). ``limit`` defaults to Open WebUI's page of 30."""
    return await memberships_service.list_members(
        session,
        runtime.caches,
        group_id=group_id,
        membership=membership,
        query=query,
        page=page,
        page_size=limit,
    )


@router.post("/id/{group_id}/update", response_model=GroupResponse, responses=refusals(400, 409))
async def update_group(
    group_id: str,
    form: GroupUpdateForm,
    session: SessionDep,
    runtime: RuntimeDep,
    _admin: AdminUser,
    response: Response,
    if_match: IfMatch = None,
) -> GroupResponse:
    """Change the fields sent. With ``If-Match``, 412 when the group changed since."""
    tagged = await service.update_group(
        session,
        runtime.authz,
        group_id=group_id,
        form=form,
        settings=runtime.settings,
        if_match=if_match,
    )
    return _with_etag(response, tagged)


@router.post("/id/{group_id}/users/add", response_model=GroupResponse)
async def add_users(
    group_id: str,
    form: UserIdsForm,
    session: SessionDep,
    _admin: AdminUser,
    response: Response,
    if_match: IfMatch = None,
) -> GroupResponse:
    """Add direct members. Unknown user ids: 422 naming them, nothing added."""
    tagged = await memberships_service.add_members(
        session, group_id=group_id, user_ids=form.user_ids, if_match=if_match
    )
    return _with_etag(response, tagged)


@router.post("/id/{group_id}/users/remove", response_model=GroupResponse)
async def remove_users(
    group_id: str,
    form: UserIdsForm,
    session: SessionDep,
    _admin: AdminUser,
    response: Response,
    if_match: IfMatch = None,
) -> GroupResponse:
    """Remove direct members, whatever source added them (a directory sync, SCIM, the default
    group); users who are not members are skipped. Unknown user ids: 422 naming them, nothing
    removed. Members through a child group stay members of this one."""
    tagged = await memberships_service.remove_members(
        session, group_id=group_id, user_ids=form.user_ids, if_match=if_match
    )
    return _with_etag(response, tagged)


@router.delete("/id/{group_id}/delete", response_model=bool)
async def delete_group(
    group_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    _admin: AdminUser,
    if_match: IfMatch = None,
) -> bool:
    """Delete the group; its children move to its parent."""
    await service.delete_group(
        session, group_id=group_id, settings=runtime.settings, if_match=if_match
    )
    return True


@router.get("/id/{group_id}/preview")
async def preview_group(
    group_id: str, session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> dict[str, Any]:
    """What membership gives: the group's own permissions, those inherited from the defaults and
    its ancestors, the effective result, its default models, and the resources readable
    through it or an ancestor (``models``, ``knowledge``, ``tools`` as Open WebUI; every type
    under ``resources``)."""
    return await preview.preview_group(session, runtime.authz, group_id=group_id)
