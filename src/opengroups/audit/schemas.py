from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# The examples' event, as the OpenAPI document shows it.
_EVENT: dict[str, Any] = {
    "id": 42,
    "occurred_at": 1767312000123,
    "actor_id": "3f0c2a5e-8b1d-4e7a-9c6f-2d4b8a1e7c35",
    "actor_address": "192.0.2.10",
    "request_id": "4b6f0a2c9d8e4f1a8b7c6d5e4f3a2b1c",
    "action": "group.members.add",
    "resource_type": "group",
    "resource_id": "5e2b7c9a-1d3f-4a6b-8c0e-7f9a1b2c3d4e",
    "before": None,
    "after": {"user_ids": ["9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60"], "source": "manual"},
    "affected_user_ids": ["9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60"],
    "affects_all_users": False,
}


class AuditEventResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_EVENT]})

    id: int = Field(description="Increases in commit order; the change feed's cursor.")
    occurred_at: int = Field(description="Epoch milliseconds.")
    actor_id: str | None = Field(description="The user who acted; null for the system.")
    actor_address: str | None
    request_id: str | None
    action: str
    resource_type: str
    resource_id: str
    before: Any = None
    after: Any = None
    affected_user_ids: list[str] | None = Field(
        default=None, description="Users whose groups or effective permissions may have changed."
    )
    affects_all_users: bool = False


class AuditPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_EVENT], "next_cursor": 41}]}
    )

    items: list[AuditEventResponse]
    next_cursor: int | None = Field(
        description="Pass as `cursor` for the next (older) page; null at the end."
    )


class ChangeFeedResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"changes": [_EVENT], "cursor": 42}]})

    changes: list[AuditEventResponse]
    cursor: int = Field(description="Pass as `cursor` next time: the id of the last change seen.")
