"""Sign-up, sign-in and API-key bodies, shaped as Open WebUI's."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from opengroups.permissions import Role
from opengroups.schemas_common import Email, Name, Password


class SigninForm(BaseModel):
    email: Email
    password: str


class SignupForm(BaseModel):
    name: Name
    email: Email
    password: Password
    profile_image_url: str | None = None


class AddUserForm(SignupForm):
    role: Role = "pending"


class SessionUserResponse(BaseModel):
    token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: int | None = None
    id: str
    email: str
    name: str
    role: Role
    profile_image_url: str
    permissions: dict[str, Any] | None = None


class ApiKeyResponse(BaseModel):
    api_key: str


class AdminConfig(BaseModel):
    """The subset of Open WebUI's ``/auths/admin/config`` that concerns users and groups."""

    ENABLE_SIGNUP: bool
    DEFAULT_USER_ROLE: Role
    DEFAULT_GROUP_ID: str


class AdminConfigForm(BaseModel):
    # Open WebUI clients post their whole config form; keys we do not manage are ignored.
    model_config = ConfigDict(extra="ignore")

    ENABLE_SIGNUP: bool | None = None
    DEFAULT_USER_ROLE: Role | None = None
    DEFAULT_GROUP_ID: str | None = None
