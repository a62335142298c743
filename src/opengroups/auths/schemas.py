"""Sign-up, sign-in and API-key bodies, shaped as Open WebUI's."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from opengroups.schemas_common import Email, Name, Password
from opengroups.users.schemas import Role


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
