"""Request and response models for users, shaped as Open WebUI's."""

from __future__ import annotations

from typing import Any

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

# The examples' user, as the OpenAPI document shows them.
_BEA: dict[str, Any] = {
    "id": "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60",
    "name": "Bea Member",
    "email": "bea@example.com",
    "role": "user",
    "profile_image_url": "/api/v1/users/9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60/profile/image",
    "last_active_at": 1767312000,
    "updated_at": 1767225600,
    "created_at": 1767225600,
    "status_emoji": "🔬",
    "status_message": "In the lab",
}
_RESEARCH: dict[str, Any] = {"id": "5e2b7c9a-1d3f-4a6b-8c0e-7f9a1b2c3d4e", "name": "Research"}


class UserModel(ProfileFields):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_BEA]})

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
    model_config = ConfigDict(
        json_schema_extra={"examples": [_BEA | {"group_ids": [_RESEARCH["id"]]}]}
    )

    group_ids: list[str] = []


class UserGroupIdsListResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"users": [_BEA | {"group_ids": [_RESEARCH["id"]]}], "total": 1}]
        }
    )

    users: list[UserGroupIdsModel]
    total: int


class GroupRef(BaseModel):
    id: str
    name: str


class UserDetailResponse(UserModel):
    """``GET /users/{id}``: the user with the names of their direct groups."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [_BEA | {"groups": [_RESEARCH], "is_active": True}]}
    )

    groups: list[GroupRef] = []
    is_active: bool = False


class UserUpdateForm(ProfileForm, StatusForm):
    """Partial update: fields not sent, or null, stay unchanged. Unknown fields are ignored."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"role": "user", "name": "Bea Member-Smith"}]}
    )

    role: Role | None = None
    name: Name | None = None
    email: Email | None = None
    profile_image_url: str | None = None
    password: Password | None = None


class UserInfoListResponse(BaseModel):
    """``GET /users/all``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "users": [
                        {key: _BEA[key] for key in ("id", "name", "email", "role")}
                        | {"groups": [_RESEARCH], "is_active": False}
                    ],
                    "total": 1,
                }
            ]
        }
    )

    users: list[UserInfoResponse]
    total: int


class UserIdName(BaseModel):
    id: str
    name: str


class UserIdNameListResponse(BaseModel):
    """``GET /users/search``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"users": [{"id": _BEA["id"], "name": _BEA["name"]}], "total": 1}]
        }
    )

    users: list[UserIdName]
    total: int
