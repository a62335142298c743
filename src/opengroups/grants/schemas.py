"""Access grants in Open WebUI's shape, and the legacy ``access_control`` form."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import SkipJsonSchema

from opengroups.models.grant import EVERYONE

PrincipalType = Literal["user", "group", "anyone"]
Permission = Literal["read", "write"]
MAX_GRANTS = 1_000


PrincipalId = Annotated[str, StringConstraints(min_length=1, max_length=255)]

# The examples' principals and grants, as the OpenAPI document shows them.
_RESEARCH = "5e2b7c9a-1d3f-4a6b-8c0e-7f9a1b2c3d4e"
_BEA = "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60"
_GRANTS: list[Any] = [
    {"principal_type": "group", "principal_id": _RESEARCH, "permission": "read"},
    {"principal_type": "user", "principal_id": _BEA, "permission": "write"},
]


class GrantForm(BaseModel):
    # The schema says what ``_anyone_reads_only`` checks.
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"principal_type": {"const": "anyone"}}},
                    "then": {
                        "properties": {
                            "principal_id": {"const": EVERYONE},
                            "permission": {"const": "read"},
                        }
                    },
                },
                {
                    "if": {"properties": {"principal_type": {"const": "group"}}},
                    "then": {"properties": {"principal_id": {"not": {"const": EVERYONE}}}},
                },
            ],
            "examples": _GRANTS[:1],
        }
    )

    principal_type: PrincipalType
    principal_id: PrincipalId
    permission: Permission

    @model_validator(mode="after")
    def _anyone_reads_only(self) -> GrantForm:
        if self.principal_type == "anyone" and (
            self.principal_id != EVERYONE or self.permission != "read"
        ):
            raise ValueError("an 'anyone' grant must be principal_id '*' with permission 'read'")
        if self.principal_type == "group" and self.principal_id == EVERYONE:
            raise ValueError("a group grant names one group id, not '*'")
        return self


class LegacyAudience(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Checked as grants' principals are (an empty id is no principal).
    group_ids: Annotated[list[PrincipalId], Field(max_length=MAX_GRANTS)] = []
    user_ids: Annotated[list[PrincipalId], Field(max_length=MAX_GRANTS)] = []


class GrantsForm(BaseModel):
    """The full set of grants of a resource, replacing what it had.

    Send ``grants`` (a list), or ``access_control`` in Open WebUI's legacy form:
    ``null`` = every signed-in user may read, ``{}`` = private,
    ``{"read": {"group_ids": [], "user_ids": []}, "write": {...}}`` = those principals.
    """

    # The schema says what ``_one_form`` checks: one of the two, ``grants`` never null.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["grants"], "not": {"required": ["access_control"]}},
                {"required": ["access_control"], "not": {"required": ["grants"]}},
            ],
            "examples": [
                {"grants": _GRANTS},
                {"access_control": {"read": {"group_ids": [_RESEARCH], "user_ids": []}}},
            ],
        }
    )

    grants: Annotated[list[GrantForm], Field(max_length=MAX_GRANTS)] | SkipJsonSchema[None] = None
    access_control: dict[str, LegacyAudience] | None = Field(
        default=None, json_schema_extra={"propertyNames": {"enum": ["read", "write"]}}
    )

    @model_validator(mode="after")
    def _one_form(self) -> GrantsForm:
        sent = self.model_fields_set & {"grants", "access_control"}
        if len(sent) != 1:
            raise ValueError("send exactly one of 'grants' or 'access_control'")
        if "grants" in sent and self.grants is None:
            raise ValueError("grants must be a list (use [] for none)")
        if self.access_control is not None:
            unknown = set(self.access_control) - {"read", "write"}
            if unknown:
                raise ValueError(
                    f"access_control keys must be read or write, not {sorted(unknown)}"
                )
        return self

    def as_grants(self) -> list[GrantForm]:
        if "grants" in self.model_fields_set:
            return list(self.grants or [])
        return access_control_to_grants(self.access_control)


def access_control_to_grants(access_control: dict[str, LegacyAudience] | None) -> list[GrantForm]:
    if access_control is None:
        return [GrantForm(principal_type="user", principal_id=EVERYONE, permission="read")]
    grants: list[GrantForm] = []
    for permission in ("read", "write"):
        audience = access_control.get(permission)
        if audience is None:
            continue
        grants += [
            GrantForm(principal_type="group", principal_id=gid, permission=permission)
            for gid in audience.group_ids
        ]
        grants += [
            GrantForm(principal_type="user", principal_id=uid, permission=permission)
            for uid in audience.user_ids
        ]
    return grants


def grants_to_access_control(grants: list[GrantResponse]) -> dict[str, Any] | None:
    """The legacy form; any public read (``user:*``) makes it ``null``, as Open WebUI does."""
    if any(
        g.principal_type == "user" and g.principal_id == EVERYONE and g.permission == "read"
        for g in grants
    ):
        return None
    result: dict[str, Any] = {}
    for permission in ("read", "write"):
        chosen = [g for g in grants if g.permission == permission]
        result[permission] = {
            "group_ids": [g.principal_id for g in chosen if g.principal_type == "group"],
            "user_ids": [
                g.principal_id
                for g in chosen
                if g.principal_type == "user" and g.principal_id != EVERYONE
            ],
        }
    return result


class GrantResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    principal_type: PrincipalType
    principal_id: str
    permission: Permission


class ResourceGrantsResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "resource_type": "model",
                    "resource_id": "gpt-4o",
                    "owner_id": "3f0c2a5e-8b1d-4e7a-9c6f-2d4b8a1e7c35",
                    "grants": [
                        {"id": "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", **_GRANTS[0]},
                        {"id": "6e7f8091-a2b3-4c4d-9e5f-60718293a4b5", **_GRANTS[1]},
                    ],
                    "access_control": {
                        "read": {"group_ids": [_RESEARCH], "user_ids": []},
                        "write": {"group_ids": [], "user_ids": [_BEA]},
                    },
                }
            ]
        }
    )

    resource_type: str
    resource_id: str
    owner_id: str | None = Field(
        default=None, description="Who first wrote the resource's grants (they may manage them)."
    )
    grants: list[GrantResponse]
    access_control: dict[str, Any] | None = Field(
        description="The same grants in Open WebUI's legacy form (null = public read)."
    )


class AccessCheckResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": _BEA,
                    "resource_type": "model",
                    "resource_id": "gpt-4o",
                    "permission": "read",
                    "allowed": True,
                }
            ]
        }
    )

    user_id: str
    resource_type: str
    resource_id: str
    permission: Permission
    allowed: bool


class AccessibleResourcesResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "user_id": _BEA,
                    "resource_type": "model",
                    "permission": "read",
                    "resource_ids": ["gpt-4o", "llama3"],
                }
            ]
        }
    )

    user_id: str
    resource_type: str
    permission: Permission
    resource_ids: list[str]
