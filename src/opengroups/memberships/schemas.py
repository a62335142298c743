"""Users as members of a group: Open WebUI's ``UserInfoResponse`` and the members page."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from opengroups.permissions import Role
from opengroups.schemas_common import ProfileFields

MembershipFilter = Literal["direct", "inherited", "effective"]


class UserInfoResponse(ProfileFields):
    model_config = ConfigDict(from_attributes=True)

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
    membership_type: Literal["direct", "inherited"]
    via_group_ids: list[str] = []
    sources: list[str] = []


class GroupMembersResponse(BaseModel):
    items: list[GroupMemberInfo]
    total: int
    counts: dict[str, int]
