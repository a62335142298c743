"""Export and import routes (admin)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from opengroups.dependencies import AdminUser, RuntimeDep, SessionDep
from opengroups.errors import InvalidInput
from opengroups.groups.schemas import GroupExportResponse
from opengroups.openapi import refusals
from opengroups.transfer import csv_members, export, importer
from opengroups.transfer.schemas import (
    BUNDLE_EXAMPLE,
    CsvImportReport,
    ImportPolicy,
    ImportReport,
)

router = APIRouter(tags=["transfer"])


@router.get("/api/v1/groups/id/{group_id}/export", response_model=GroupExportResponse)
async def export_group(
    group_id: str, session: SessionDep, runtime: RuntimeDep, admin: AdminUser
) -> Response:
    """The group with its direct member ids and provenance in ``meta``."""
    document = await export.export_group_json(
        session, actor=admin, group_id=group_id, settings=runtime.settings
    )
    return Response(document, media_type="application/json")


@router.get("/api/v1/transfer/export")
async def export_bundle(session: SessionDep, runtime: RuntimeDep, admin: AdminUser) -> Response:
    """Every group, its hierarchy, permissions, data, meta and direct members (id and e-mail),
    with the default permissions. Stable: the same state exports to the same bytes, apart from
    the timestamps."""
    bundle = await export.export_bundle(
        session, runtime.authz, actor_id=admin.id, settings=runtime.settings
    )
    return Response(export.bundle_json(bundle), media_type="application/json")


@router.post("/api/v1/transfer/import", response_model=ImportReport, responses=refusals(409))
async def import_bundle(
    session: SessionDep,
    runtime: RuntimeDep,
    admin: AdminUser,
    payload: Annotated[
        Any,
        Body(description="A bundle, or Open WebUI group export(s).", examples=[BUNDLE_EXAMPLE]),
    ],
    policy: ImportPolicy = "fail",
    dry_run: bool = False,
    create_missing_users: Annotated[
        bool, Query(description="Create members that match nobody as pending users.")
    ] = False,
) -> ImportReport:
    """Import a bundle in one transaction. ``dry_run`` reports the plan and writes nothing."""
    return await importer.import_bundle(
        session,
        runtime.authz,
        actor_id=admin.id,
        payload=payload,
        policy=policy,
        dry_run=dry_run,
        create_missing_users=create_missing_users,
        settings=runtime.settings,
    )


@router.post(
    "/api/v1/groups/id/{group_id}/users/import",
    response_model=CsvImportReport,
    openapi_extra={
        "requestBody": {
            "content": {
                "text/csv": {
                    "schema": {"type": "string"},
                    "example": "Name,Email\nBea Member,bea@example.com\n",
                }
            },
            "required": True,
        }
    },
)
async def import_members_csv(
    group_id: str, request: Request, session: SessionDep, _admin: AdminUser
) -> CsvImportReport:
    """Add members from a CSV with the header ``Name,Email`` (Open WebUI's template), sent as
    the request body. One request, one transaction, a result per row."""
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("The CSV must be UTF-8 text.") from exc
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput("The body is not valid JSON.") from exc
        if not isinstance(body, dict) or not isinstance(body.get("csv"), str):
            raise InvalidInput('Send the CSV as text/csv, or JSON {"csv": "..."}.')
        text = body["csv"]
    return await csv_members.import_members_csv(session, group_id=group_id, text=text)
