from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

MAX_CHECKS = 10_000


class KeyExplanation(BaseModel):
    value: bool
    sources: list[str] = Field(
        description="What grants the key: 'default' and/or the ids of the groups that set it."
    )


class PermissionsExplanation(BaseModel):
    user_id: str
    role: str
    admin_bypass: bool = Field(
        description="True when the user is an admin and checks pass whatever the tree says."
    )
    permissions: dict[str, Any]
    explanation: dict[str, KeyExplanation]
    groups: list[str] = Field(description="The user's effective group ids (sorted).")


class PermissionCheck(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    key: str = Field(min_length=1, max_length=255, description="A dotted key, e.g. chat.delete")


class PermissionCheckForm(BaseModel):
    checks: list[PermissionCheck] = Field(max_length=MAX_CHECKS)


class PermissionCheckResult(BaseModel):
    user_id: str
    key: str
    allowed: bool


class PermissionCheckResponse(BaseModel):
    results: list[PermissionCheckResult]


class CatalogResponse(BaseModel):
    version: str
    permissions: dict[str, Any] = Field(description="Every key with its catalog default.")
