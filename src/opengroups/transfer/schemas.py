"""The bundle format (version 1) and what an import reports.

A bundle is one JSON object::

    {"format": "opengroups-bundle", "version": 1, "source_system": ..., "exported_at": ...,
     "exported_by": ..., "catalog_version": ..., "default_permissions": {...},
     "groups": [{"id", "name", "description", "parent_group_id", "user_id", "data", "meta",
                 "permissions", "created_at", "updated_at",
                 "members": [{"id", "email", "name"}]}]}

Groups come parents first; members by e-mail. Open WebUI's ``GroupExportResponse`` (one object
or a list) is accepted by import too.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opengroups.groups.schemas import GroupName
from opengroups.schemas_common import (
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    Email,
    Id,
    Int64,
)

BUNDLE_FORMAT = "opengroups-bundle"
BUNDLE_VERSION = 1
EXPORT_FORMAT_VERSION = "1"

ImportPolicy = Literal["fail", "skip", "overwrite"]

# A bundle as the OpenAPI document shows one: a group and its child, members by e-mail.
BUNDLE_EXAMPLE: dict[str, Any] = {
    "format": "opengroups-bundle",
    "version": 1,
    "source_system": "opengroups",
    "exported_at": 1767312000,
    "groups": [
        {
            "id": "5e2b7c9a-1d3f-4a6b-8c0e-7f9a1b2c3d4e",
            "name": "Research",
            "description": "People who explore",
            "permissions": {"workspace": {"models": True}},
            "members": [{"email": "ada@example.com", "name": "Ada Lovelace"}],
        },
        {
            "id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
            "name": "Lab",
            "parent_group_id": "5e2b7c9a-1d3f-4a6b-8c0e-7f9a1b2c3d4e",
            "members": [{"email": "bea@example.com", "name": "Bea Member"}],
        },
    ],
}


class BundleMember(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Id | None = None
    # Checked as every e-mail is (``/auths/add``): a member may be created from it.
    email: Email | None = None
    name: str | None = Field(default=None, max_length=MAX_NAME_LENGTH)


class BundleGroup(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Id
    name: GroupName
    description: str = Field(default="", max_length=MAX_DESCRIPTION_LENGTH)
    parent_group_id: Id | None = None
    user_id: Id | None = None
    data: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    permissions: dict[str, Any] | None = None
    created_at: Int64 | None = None
    updated_at: Int64 | None = None
    members: list[BundleMember] = []


class Bundle(BaseModel):
    model_config = ConfigDict(extra="ignore")

    format: Literal["opengroups-bundle"] = "opengroups-bundle"
    version: int = BUNDLE_VERSION
    source_system: str | None = None
    exported_at: int | None = None
    exported_by: str | None = None
    catalog_version: str | None = None
    default_permissions: dict[str, Any] | None = None
    groups: list[BundleGroup] = []


class OpenWebUIGroupExport(BaseModel):
    """Open WebUI's ``GroupExportResponse``: members are ids only."""

    model_config = ConfigDict(extra="ignore")

    id: Id
    name: GroupName
    description: str | None = Field(default="", max_length=MAX_DESCRIPTION_LENGTH)
    parent_group_id: Id | None = None
    user_id: Id | None = None
    data: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None
    permissions: dict[str, Any] | None = None
    created_at: Int64 | None = None
    updated_at: Int64 | None = None
    user_ids: list[Id] = []

    def as_bundle_group(self) -> BundleGroup:
        return BundleGroup(
            id=self.id,
            name=self.name,
            description=self.description or "",
            parent_group_id=self.parent_group_id,
            user_id=self.user_id,
            data=self.data,
            meta=self.meta,
            permissions=self.permissions,
            created_at=self.created_at,
            updated_at=self.updated_at,
            members=[BundleMember(id=uid) for uid in self.user_ids],
        )


class UnmatchedMember(BaseModel):
    group_id: str
    group_name: str
    id: str | None
    email: str | None


class GroupOutcome(BaseModel):
    id: str
    name: str
    action: Literal["added", "updated", "unchanged", "skipped"]
    members_added: int = 0
    members_removed: int = 0


class ImportReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dry_run": True,
                    "policy": "skip",
                    "added": 1,
                    "skipped": 1,
                    "members_added": 2,
                    "defaults": "unchanged",
                    "unmatched_members": [
                        {
                            "group_id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
                            "group_name": "Lab",
                            "id": None,
                            "email": "nobody@example.com",
                        }
                    ],
                    "groups": [
                        {
                            "id": "5e2b7c9a-1d3f-4a6b-8c0e-7f9a1b2c3d4e",
                            "name": "Research",
                            "action": "skipped",
                        },
                        {
                            "id": "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f",
                            "name": "Lab",
                            "action": "added",
                            "members_added": 2,
                        },
                    ],
                }
            ]
        }
    )

    dry_run: bool
    policy: ImportPolicy
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    members_added: int = 0
    members_removed: int = 0
    users_created: int = 0
    defaults: Literal["updated", "unchanged", "absent"] = "absent"
    unmatched_members: list[UnmatchedMember] = []
    groups: list[GroupOutcome] = []

    @property
    def changed(self) -> bool:
        return bool(
            self.added
            or self.updated
            or self.members_added
            or self.members_removed
            or self.users_created
            or self.defaults == "updated"
        )


class CsvRowResult(BaseModel):
    row: int
    name: str | None = None
    email: str | None = None
    status: Literal["added", "already_member", "not_found", "invalid", "duplicate"]
    user_id: str | None = None
    message: str | None = None


class CsvImportReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group_id": "5e2b7c9a-1d3f-4a6b-8c0e-7f9a1b2c3d4e",
                    "added": 1,
                    "already_members": 0,
                    "not_found": 1,
                    "invalid": 0,
                    "rows": [
                        {
                            "row": 2,
                            "name": "Bea Member",
                            "email": "bea@example.com",
                            "status": "added",
                            "user_id": "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60",
                        },
                        {
                            "row": 3,
                            "name": "Nobody",
                            "email": "nobody@example.com",
                            "status": "not_found",
                        },
                    ],
                }
            ]
        }
    )

    group_id: str
    added: int
    already_members: int
    not_found: int
    invalid: int
    rows: list[CsvRowResult]
