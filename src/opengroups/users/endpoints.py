"""``/api/v1/users``: Open WebUI-compatible user routes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import RedirectResponse

from opengroups.auths import service as auths_service
from opengroups.dependencies import (
    AdminUser,
    IfMatch,
    IfNoneMatch,
    Page,
    RuntimeDep,
    SessionDep,
    VerifiedUser,
)
from opengroups.groups.schemas import GroupModel, UserGroupResponse
from opengroups.kit.etags import matches_none
from opengroups.memberships.schemas import UserInfoResponse
from opengroups.openapi import refusals
from opengroups.schemas_common import MAX_ID_LENGTH, StatusForm
from opengroups.users import pictures, service
from opengroups.users.repository import ORDERABLE_COLUMNS
from opengroups.users.schemas import (
    UserDetailResponse,
    UserGroupIdsListResponse,
    UserIdNameListResponse,
    UserInfoListResponse,
    UserModel,
    UserUpdateForm,
)

router = APIRouter(prefix="/api/v1/users", tags=["users"])


@router.get("/", response_model=UserGroupIdsListResponse)
async def list_users(
    session: SessionDep,
    _admin: AdminUser,
    query: Annotated[str | None, Query(max_length=255)] = None,
    order_by: Annotated[
        str,
        Query(
            pattern=f"^({'|'.join(ORDERABLE_COLUMNS)}|group_id:.{{1,{MAX_ID_LENGTH}}})$",
            description="A column, or group_id:<id>.",
        ),
    ] = "created_at",
    direction: Literal["asc", "desc"] = "asc",
    page: Page = 1,
) -> UserGroupIdsListResponse:
    """A page of 30 users with their direct group ids. ``order_by`` is a column or
    ``group_id:<id>`` (that group's direct members first)."""
    return await service.list_users(
        session, query=query, order_by=order_by, direction=direction, page=page
    )


@router.get("/all", response_model=UserInfoListResponse)
async def all_users(session: SessionDep, _admin: AdminUser) -> UserInfoListResponse:
    """Every user, unpaginated (as Open WebUI; prefer ``GET /users/`` on large instances)."""
    return await service.all_users(session)


@router.get("/search", response_model=UserIdNameListResponse)
async def search_users(
    session: SessionDep,
    _user: VerifiedUser,
    query: Annotated[str | None, Query(max_length=255)] = None,
    page: Page = 1,
) -> UserIdNameListResponse:
    """Ids and names of users whose name or e-mail contains ``query``, 30 a page: what a
    signed-in user needs to pick someone to share with (no e-mails, no roles)."""
    return await service.search_users(session, query=query, page=page)


@router.get("/groups", response_model=list[UserGroupResponse] | list[GroupModel])
async def my_groups(
    session: SessionDep, user: VerifiedUser, include_inherited: bool = False
) -> list[GroupModel] | list[UserGroupResponse]:
    """The caller's groups; ``permissions`` and ``meta`` are null unless the caller is admin."""
    return await service.user_groups(
        session,
        user_id=user.id,
        include_inherited=include_inherited,
        redact=user.role != "admin",
    )


@router.get("/user/status", response_model=UserModel)
async def my_status(user: VerifiedUser) -> UserModel:
    """The caller, with their status (``status_emoji``, ``status_message``,
    ``status_expires_at``)."""
    return UserModel.model_validate(user)


@router.post("/user/status/update", response_model=UserModel)
async def update_my_status(
    form: StatusForm, session: SessionDep, runtime: RuntimeDep, user: VerifiedUser
) -> UserModel:
    """Set the caller's status; fields left out or null stay as they are."""
    return await service.update_own_profile(session, runtime.passwords, user=user, form=form)


@router.get(
    "/{user_id}/profile/image",
    response_class=Response,
    responses={
        200: {
            "content": {
                media_type: {}
                for media_type in (*pictures.RASTER_TYPES, pictures.DEFAULT_MEDIA_TYPE)
            },
            "description": "The picture",
        },
        302: {"description": "The picture is at another web address"},
    },
)
async def profile_image(user_id: str, session: SessionDep, viewer: VerifiedUser) -> Response:
    """The user's picture: the image of a ``data:`` URL, a redirect to a web address, or a
    default picture (``users.pictures``). Non-admins may see their own and those of the
    members of groups they may see."""
    user, _groups = await service.visible_user(session, viewer=viewer, user_id=user_id)
    found = pictures.picture(user.profile_image_url)
    if found.redirect is not None:
        return RedirectResponse(found.redirect, status_code=302)
    return Response(found.content, media_type=found.media_type)


@router.get("/{user_id}/active")
async def user_active(user_id: str, session: SessionDep, user: VerifiedUser) -> dict[str, bool]:
    """``{"active": true}`` if the user made a request in the last three minutes. Non-admins
    may ask about themselves and the members of groups they may see."""
    return {"active": await service.is_active(session, viewer=user, user_id=user_id)}


@router.get("/{user_id}/info", response_model=UserInfoResponse)
async def user_info(user_id: str, session: SessionDep, user: VerifiedUser) -> UserInfoResponse:
    """A user's public profile and direct groups; for non-admins only the groups they may see
    themselves."""
    return await service.user_info(session, viewer=user, user_id=user_id)


@router.get("/{user_id}/groups", response_model=list[UserGroupResponse] | list[GroupModel])
async def user_groups(
    user_id: str, session: SessionDep, _admin: AdminUser, include_inherited: bool = False
) -> list[GroupModel] | list[UserGroupResponse]:
    """The user's groups (admins only): the direct ones, or with ``include_inherited=true``
    also their ancestors, each with its ``membership_type``."""
    await service.require_user(session, user_id)
    return await service.user_groups(
        session, user_id=user_id, include_inherited=include_inherited, redact=False
    )


@router.get("/{user_id}", response_model=UserDetailResponse)
async def get_user(
    user_id: str,
    response: Response,
    session: SessionDep,
    _admin: AdminUser,
    if_none_match: IfNoneMatch = None,
) -> UserDetailResponse | Response:
    """The user and their direct groups, with the user's revision as ``ETag``."""
    tagged = await service.get_user_detail(session, user_id=user_id)
    if matches_none(if_none_match, tagged.revision):
        return Response(status_code=304, headers={"ETag": tagged.etag})
    response.headers["ETag"] = tagged.etag
    return tagged.value


@router.post("/{user_id}/update", response_model=UserModel, responses=refusals(403, 409))
async def update_user(
    user_id: str,
    form: UserUpdateForm,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminUser,
    response: Response,
    if_match: IfMatch = None,
) -> UserModel:
    """Change the fields sent. With ``If-Match``, 412 when the user changed since."""
    tagged = await service.update_user(
        session, runtime.passwords, actor=admin, user_id=user_id, form=form, if_match=if_match
    )
    response.headers["ETag"] = tagged.etag
    return tagged.value


@router.post("/{user_id}/sessions/revoke", response_model=bool, responses=refusals(403))
async def revoke_sessions(user_id: str, session: SessionDep, admin: AdminUser) -> bool:
    """End every token and admin session of the user (API keys stay: delete the key for
    that). The primary admin's only the primary admin may end."""
    await auths_service.revoke_sessions(session, actor=admin, user_id=user_id)
    return True


@router.delete("/{user_id}", response_model=bool, responses=refusals(403))
async def delete_user(
    user_id: str, session: SessionDep, admin: AdminUser, if_match: IfMatch = None
) -> bool:
    """Delete the user with their memberships and grants."""
    await service.delete_user(session, actor=admin, user_id=user_id, if_match=if_match)
    return True
