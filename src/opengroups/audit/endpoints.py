"""Audit trail and change feed routes (admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from opengroups.audit import service
from opengroups.audit.schemas import AuditPage, ChangeFeedResponse
from opengroups.dependencies import (
    INT64_MAX,
    INT64_MIN,
    AdminUser,
    DatabaseDep,
    SessionDep,
)
from opengroups.openapi import refusals

router = APIRouter(tags=["audit"])


@router.get("/api/v1/audit/events", response_model=AuditPage)
async def list_events(
    session: SessionDep,
    _admin: AdminUser,
    actor_id: str | None = None,
    action: str | None = None,
    resource_type: str | None = None,
    resource_id: str | None = None,
    since: Annotated[
        int | None, Query(ge=INT64_MIN, le=INT64_MAX, description="From this time (epoch ms).")
    ] = None,
    until: Annotated[
        int | None, Query(ge=INT64_MIN, le=INT64_MAX, description="Before this time (epoch ms).")
    ] = None,
    cursor: Annotated[
        int | None, Query(ge=0, le=INT64_MAX, description="next_cursor of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> AuditPage:
    """Who changed what and when, newest first, with before and after."""
    return await service.list_events(
        session,
        actor_id=actor_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        since_ms=since,
        until_ms=until,
        cursor=cursor,
        limit=limit,
    )


@router.get("/api/v1/changes", response_model=ChangeFeedResponse, responses=refusals(410))
async def changes(
    database: DatabaseDep,
    _admin: AdminUser,
    cursor: Annotated[
        int, Query(ge=0, le=INT64_MAX, description="The last change you have seen (0: all).")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    wait: Annotated[
        float, Query(ge=0, le=60, description="Seconds to wait for a change (long poll).")
    ] = 0,
) -> ChangeFeedResponse:
    """The changes after ``cursor``, oldest first. Follow it with the returned ``cursor``;
    410 means the cursor fell behind the retention window: rebuild and continue."""
    return await service.changes_after(database, cursor=cursor, limit=limit, wait_seconds=wait)
