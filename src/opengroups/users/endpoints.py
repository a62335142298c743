"""``/api/v1/users``: Open WebUI-compatible user routes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

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
from opengroups.openapi import refusals
from opengroups.schemas_common import MAX_ID_LENGTH, StatusForm
from opengroups.users import service
from opengroups.users.repository import ORDERABLE_COLUMNS
from opengroups.users.schemas import (
    UserDetailResponse,
    UserGroupIdsListResponse,
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


@router.get("/{user_id}/groups", response_model=list[UserGroupResponse] | list[GroupModel])
async def user_groups(
    user_id: str, session: SessionDep, _admin: AdminUser, include_inherited: bool = False
) -> list[GroupModel] | list[UserGroupResponse]:
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


@router.delete("/{user_id}", response_model=bool, responses=refusals(403))
async def delete_user(
    user_id: str, session: SessionDep, admin: AdminUser, if_match: IfMatch = None
) -> bool:
    """Delete the user with their memberships and grants."""
    await service.delete_user(session, actor=admin, user_id=user_id, if_match=if_match)
    return True
