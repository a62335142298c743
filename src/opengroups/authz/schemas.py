from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from opengroups.users.schemas import GroupRef

MAX_CHECKS = 10_000


class SourceGroup(BaseModel):
    """A group that grants a key: its id and name, and where it sits in the tree."""

    id: str
    name: str
    path: list[GroupRef] = Field(
        description="The groups from the top-level one down to this one (itself last)."
    )


class ExplainedGroup(SourceGroup):
    """One of the user's effective groups, and how the user comes to be a member of it."""

    membership: Literal["direct", "inherited"] = Field(
        description="'direct' when the user is a member of the group itself, else 'inherited' "
        "(a member of a group below it)."
    )
    via: list[GroupRef] = Field(
        description="The user's direct groups below this one, through which they are a member "
        "of it (by name); empty when none."
    )


class KeyExplanation(BaseModel):
    value: bool
    sources: list[str] = Field(
        description="What grants the key: 'default' and/or the ids of the groups that set it."
    )
    source_groups: list[SourceGroup] = Field(
        default=[],
        description="The groups among 'sources', in the same order, with their names and "
        "their paths from the top of the tree.",
    )


_ENGINEERING: JsonDict = {"id": "3f1c2b7a-0d4e-4a51-9c6e-2f8b1d0a7e11", "name": "Engineering"}
_BACKEND: JsonDict = {"id": "8b2e4c19-5a7f-4d3e-b1c0-6e9f2a4d8c35", "name": "Backend"}


class PermissionsExplanation(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60",
                    "role": "user",
                    "admin_bypass": False,
                    "permissions": {"workspace": {"models": True}, "chat": {"delete": True}},
                    "explanation": {
                        "workspace.models": {
                            "value": True,
                            "sources": [_ENGINEERING["id"]],
                            "source_groups": [{**_ENGINEERING, "path": [_ENGINEERING]}],
                        },
                        "chat.delete": {
                            "value": True,
                            "sources": ["default"],
                            "source_groups": [],
                        },
                    },
                    "groups": [_ENGINEERING["id"], _BACKEND["id"]],
                    "group_details": [
                        {
                            **_ENGINEERING,
                            "path": [_ENGINEERING],
                            "membership": "inherited",
                            "via": [_BACKEND],
                        },
                        {
                            **_BACKEND,
                            "path": [_ENGINEERING, _BACKEND],
                            "membership": "direct",
                            "via": [],
                        },
                    ],
                }
            ]
        }
    )

    user_id: str
    role: str
    admin_bypass: bool = Field(
        description="True when the user is an admin and checks pass whatever the tree says."
    )
    permissions: dict[str, Any]
    explanation: dict[str, KeyExplanation]
    groups: list[str] = Field(description="The user's effective group ids (sorted).")
    group_details: list[ExplainedGroup] = Field(
        default=[],
        description="The same groups, in the same order, with their names, their paths from "
        "the top of the tree, and whether the user is a direct or an inherited member.",
    )


class PermissionCheck(BaseModel):
    user_id: str = Field(min_length=1, max_length=64)
    key: str = Field(min_length=1, max_length=255, description="A dotted key, e.g. chat.delete")


class PermissionCheckForm(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "checks": [
                        {"user_id": "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60", "key": "chat.delete"},
                        {
                            "user_id": "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60",
                            "key": "workspace.models",
                        },
                    ]
                }
            ]
        }
    )

    checks: list[PermissionCheck] = Field(max_length=MAX_CHECKS)


class PermissionCheckResult(BaseModel):
    user_id: str
    key: str
    allowed: bool


class PermissionCheckResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "user_id": "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60",
                            "key": "chat.delete",
                            "allowed": True,
                        },
                        {
                            "user_id": "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60",
                            "key": "workspace.models",
                            "allowed": False,
                        },
                    ]
                }
            ]
        }
    )

    results: list[PermissionCheckResult]


class CatalogResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "version": "953029d1b04479d4",
                    "permissions": {
                        "workspace": {"models": False, "knowledge": False},
                        "chat": {"controls": True, "delete": True},
                    },
                    "descriptions": {
                        "workspace.models": "Open the Models workspace: create and edit "
                        "custom models.",
                        "chat.delete": "Delete chats.",
                    },
                }
            ]
        }
    )

    version: str
    permissions: dict[str, Any] = Field(description="Every key with its catalog default.")
    descriptions: dict[str, str] = Field(
        default_factory=dict,
        description="What each key allows, by dotted key (keys without one are left out).",
    )
