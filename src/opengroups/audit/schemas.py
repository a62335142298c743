from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
    items: list[AuditEventResponse]
    next_cursor: int | None = Field(
        description="Pass as `cursor` for the next (older) page; null at the end."
    )


class ChangeFeedResponse(BaseModel):
    changes: list[AuditEventResponse]
    cursor: int = Field(description="Pass as `cursor` next time: the id of the last change seen.")
