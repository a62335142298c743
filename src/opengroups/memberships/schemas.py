"""Users as members of a group: Open WebUI's ``UserInfoResponse`` and the members page."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from opengroups.permissions import Role
from opengroups.schemas_common import ProfileFields

MembershipFilter = Literal["direct", "inherited", "effective"]

# The examples' user, as the OpenAPI document shows them.
_BEA: dict[str, Any] = {
    "id": "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60",
    "name": "Bea Member",
    "email": "bea@example.com",
    "role": "user",
    "profile_image_url": "/api/v1/users/9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60/profile/image",
    "last_active_at": 1767312000,
    "is_active": False,
}
_RESEARCH = "5e2b7c9a-1d3f-4a6b-8c0e-7f9a1b2c3d4e"


class UserInfoResponse(ProfileFields):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [_BEA | {"groups": [{"id": _RESEARCH, "name": "Research"}]}]
        },
    )

    id: str
    name: str
    email: str
    role: Role
    profile_image_url: str | None = None
    last_active_at: int | None = None
    timezone: str | None = None
    groups: list[dict[str, str]] | None = []
    is_active: bool = False


class GroupMemberInfo(UserInfoResponse):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _BEA
                | {
                    "groups": [],
                    "membership_type": "inherited",
                    "via_group_ids": ["c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f"],
                    "sources": [],
                }
            ]
        }
    )

    membership_type: Literal["direct", "inherited"]
    via_group_ids: list[str] = []
    sources: list[str] = []


class GroupMembersResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        _BEA
                        | {
                            "groups": [],
                            "membership_type": "direct",
                            "via_group_ids": [],
                            "sources": ["manual"],
                        }
                    ],
                    "total": 1,
                    "counts": {"direct": 1, "inherited": 0, "effective": 1},
                }
            ]
        }
    )

    items: list[GroupMemberInfo]
    total: int
    counts: dict[str, int]
