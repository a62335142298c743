from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class AdminConfig(BaseModel):
    """The subset of Open WebUI's ``/auths/admin/config`` that concerns users and groups."""

    ENABLE_SIGNUP: bool
    DEFAULT_USER_ROLE: Literal["pending", "user", "admin"]
    DEFAULT_GROUP_ID: str


class AdminConfigForm(BaseModel):
    # Open WebUI clients post their whole config form; keys we do not manage are ignored.
    model_config = ConfigDict(extra="ignore")

    ENABLE_SIGNUP: bool | None = None
    DEFAULT_USER_ROLE: Literal["pending", "user", "admin"] | None = None
    DEFAULT_GROUP_ID: str | None = None
