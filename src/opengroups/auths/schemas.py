"""Sign-up, sign-in and API-key bodies, shaped as Open WebUI's."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictBool

from opengroups.permissions import Role
from opengroups.schemas_common import Email, Name, Password, ProfileFields, ProfileForm

# The examples' account, as the OpenAPI document shows it.
_ADA = "3f0c2a5e-8b1d-4e7a-9c6f-2d4b8a1e7c35"


class SigninForm(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "ada@example.com", "password": "correct horse battery"}]
        }
    )

    email: Email
    password: str


class SignupForm(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Ada Lovelace",
                    "email": "ada@example.com",
                    "password": "correct horse battery",
                }
            ]
        }
    )

    name: Name
    email: Email
    password: Password
    profile_image_url: str | None = None


class AddUserForm(SignupForm):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Bea Member",
                    "email": "bea@example.com",
                    "password": "a long enough password",
                    "role": "user",
                }
            ]
        }
    )

    role: Role = "pending"


class SessionUserResponse(ProfileFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpZCI6IjNmMGMyYTVlIn0.c2ln",
                    "token_type": "Bearer",
                    "expires_at": 1769644800,
                    "id": _ADA,
                    "email": "ada@example.com",
                    "name": "Ada Lovelace",
                    "role": "admin",
                    "profile_image_url": f"/api/v1/users/{_ADA}/profile/image",
                    "permissions": {"workspace": {"models": True}, "chat": {"delete": True}},
                }
            ]
        }
    )

    token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_at: int | None = None
    id: str
    email: str
    name: str
    role: Role
    profile_image_url: str
    permissions: dict[str, Any] | None = None


class UpdateProfileForm(ProfileForm):
    """``/auths/update/profile``: the caller's own name, picture and profile fields; fields left
    out or null stay as they are."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Ada King", "bio": "Writes the first programs."}]}
    )

    name: Name | None = None
    profile_image_url: str | None = None


class UpdatePasswordForm(BaseModel):
    """``/auths/update/password``: the current password and the new one."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"password": "correct horse battery", "new_password": "battery staple horse"}
            ]
        }
    )

    password: Password
    new_password: Password


class ApiKeyResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"api_key": "sk-4f1c9e7b2a8d4c6e9f0a1b2c3d4e5f60"}]}
    )

    api_key: str


class AdminDetails(BaseModel):
    """Whom to contact: the primary admin's name and e-mail (``GET /auths/admin/details``)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Ada Lovelace", "email": "ada@example.com"}]}
    )

    name: str
    email: str


class AdminConfig(BaseModel):
    """Open WebUI's ``/auths/admin/config``. The first three are opengroups' own settings; the
    rest are there because clients that model the answer require them, and say what this
    service does: API keys exist, JWTs last ``OPENGROUPS_JWT_EXPIRES_IN``, and the features of
    Open WebUI's chat product are off. Posting them changes nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ENABLE_SIGNUP": False,
                    "DEFAULT_USER_ROLE": "pending",
                    "DEFAULT_GROUP_ID": "",
                    "JWT_EXPIRES_IN": "2419200s",
                    "SHOW_ADMIN_DETAILS": False,
                    "ADMIN_EMAIL": None,
                    "ENABLE_API_KEYS": True,
                }
            ]
        }
    )

    ENABLE_SIGNUP: bool
    DEFAULT_USER_ROLE: Role
    DEFAULT_GROUP_ID: str
    JWT_EXPIRES_IN: str
    SHOW_ADMIN_DETAILS: bool = False
    ADMIN_EMAIL: str | None = None
    WEBUI_URL: str = ""
    ENABLE_API_KEYS: bool = True
    ENABLE_API_KEYS_ENDPOINT_RESTRICTIONS: bool = False
    API_KEYS_ALLOWED_ENDPOINTS: str = ""
    ENABLE_COMMUNITY_SHARING: bool = False
    ENABLE_MESSAGE_RATING: bool = False
    ENABLE_FOLDERS: bool = False
    ENABLE_AUTOMATIONS: bool = False
    ENABLE_CHANNELS: bool = False
    ENABLE_CALENDAR: bool = False
    ENABLE_MEMORIES: bool = False
    ENABLE_MEMORY_SYSTEM_CONTEXT: bool = False
    ENABLE_NOTES: bool = False
    ENABLE_USER_WEBHOOKS: bool = False
    ENABLE_USER_STATUS: bool = False


class AdminConfigForm(BaseModel):
    # Open WebUI clients post their whole config form; keys we do not manage are ignored.
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={"examples": [{"ENABLE_SIGNUP": False, "DEFAULT_USER_ROLE": "pending"}]},
    )

    ENABLE_SIGNUP: StrictBool | None = None  # not 0 or "yes": the schema says boolean
    DEFAULT_USER_ROLE: Role | None = None
    DEFAULT_GROUP_ID: str | None = None
