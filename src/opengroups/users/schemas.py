"""Request and response models for users, shaped as Open WebUI's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from opengroups.memberships.schemas import UserInfoResponse
from opengroups.permissions import Role
from opengroups.schemas_common import (
    Email,
    Name,
    Password,
    ProfileFields,
    ProfileForm,
    StatusForm,
)


class UserModel(ProfileFields):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    email: str
    role: Role
    profile_image_url: str
    last_active_at: int
    updated_at: int
    created_at: int
    # Open WebUI 0.12.4's other user fields, which opengroups does not keep: always null, so
    # that a client modelling its users finds every key. (``scim`` is read from no attribute:
    # the row's own ``scim`` holds the SCIM resource, which is SCIM's to show.)
    username: None = None
    profile_banner_image_url: None = None
    timezone: None = None
    presence_state: None = None
    info: None = None
    settings: None = None
    oauth: None = None
    scim: None = Field(default=None, validation_alias="open_webui_scim")


class UserGroupIdsModel(UserModel):
    group_ids: list[str] = []


class UserGroupIdsListResponse(BaseModel):
    users: list[UserGroupIdsModel]
    total: int


class GroupRef(BaseModel):
    id: str
    name: str


class UserDetailResponse(UserModel):
    """``GET /users/{id}``: the user with the names of their direct groups."""

    groups: list[GroupRef] = []
    is_active: bool = False


class UserUpdateForm(ProfileForm, StatusForm):
    """Partial update: fields not sent, or null, stay unchanged. Unknown fields are ignored."""

    role: Role | None = None
    name: Name | None = None
    email: Email | None = None
    profile_image_url: str | None = None
    password: Password | None = None


class UserInfoListResponse(BaseModel):
    """``GET /users/all``."""

    users: list[UserInfoResponse]
    total: int


class UserIdName(BaseModel):
    id: str
    name: str


class UserIdNameListResponse(BaseModel):
    """``GET /users/search``."""

    users: list[UserIdName]
    total: int
