"""Pydantic bodies of the connector: a target as it is registered and shown (never its key)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from opengroups.schemas_common import BLANKS, Name

# A target's address: http or https (any case), a host (no IPv6 literal), an optional port and
# path; no credentials, query or fragment. One pattern for the check and the OpenAPI document
# (``\x..`` escapes mean the same in Python's and ECMAScript's regular expressions).
_HOST_CHAR = f"[^{BLANKS}\\x00-\\x1f\\x7f/?#@:\\[\\]]"
_PATH_CHAR = f"[^{BLANKS}\\x00-\\x1f\\x7f?#]"
BASE_URL_PATTERN = (
    f"^[{BLANKS}]*[hH][tT][tT][pP][sS]?://{_HOST_CHAR}+(:[0-9]{{1,5}})?(/{_PATH_CHAR}*)?"
    f"[{BLANKS}]*$"
)
_BASE_URL = re.compile(BASE_URL_PATTERN)


def _check_base_url(value: str) -> str:
    if not _BASE_URL.fullmatch(value):
        raise ValueError(
            "must be an http:// or https:// address without credentials, query or fragment, "
            "e.g. https://chat.example.com"
        )
    return value.rstrip("/")


BaseUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(_check_base_url),
    Field(json_schema_extra={"pattern": BASE_URL_PATTERN}),
]
MAX_RECONCILE_MINUTES = 7 * 24 * 60
# ``manual``: applied by hand only; ``in_sync``: the last apply finished and covered every
# change since; ``pending``: a change (or the first apply) is waiting; ``failing``: the last
# apply failed, retried at ``retry_at``.
TargetStatus = Literal["manual", "in_sync", "pending", "failing"]
GroupNameList = Annotated[list[Name], Field(min_length=1, max_length=10_000)]


class TargetForm(BaseModel):
    """Register a target. ``prefix`` or ``groups`` narrows the groups it receives (at most
    one of them; neither: all groups)."""

    model_config = ConfigDict(
        json_schema_extra={
            # What ``service.scope_of`` checks: a prefix or a list, not both.
            "not": {
                "required": ["prefix", "groups"],
                "properties": {"prefix": {"type": "string"}, "groups": {"type": "array"}},
            },
            "examples": [
                {
                    "name": "chat",
                    "base_url": "http://localhost:3000",
                    "api_key": "sk-0123456789abcdef0123456789abcdef",
                    "reconcile_minutes": 15,
                }
            ],
        }
    )

    name: Name
    base_url: BaseUrl
    api_key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        repr=False
    )
    prefix: Name | None = None
    groups: GroupNameList | None = None
    reconcile_minutes: int | None = Field(
        default=None,
        ge=1,
        le=MAX_RECONCILE_MINUTES,
        description="Apply on its own every so many minutes, and soon after each change in "
        "opengroups; absent: applied by hand only.",
    )
    create_missing_users: StrictBool = Field(  # not 0 or "yes": the schema says boolean
        default=False,
        description="Create, on the target, the members it has no account for (by e-mail).",
    )


class TargetUpdateForm(BaseModel):
    """Change a target: only the fields given. ``reconcile_minutes: null`` stops its reconcile
    loop."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"reconcile_minutes": 60, "create_missing_users": True}]}
    )

    base_url: BaseUrl | None = None
    api_key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = Field(
        default=None, repr=False
    )
    reconcile_minutes: int | None = Field(default=None, ge=1, le=MAX_RECONCILE_MINUTES)
    create_missing_users: StrictBool | None = None


class AdoptForm(BaseModel):
    """Unmanaged groups of the target to take over, by name."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"adopt": ["chat-research"]}]})

    adopt: list[Name] = Field(default_factory=list, max_length=10_000)


class ApplyResult(BaseModel):
    """What an apply did (also the target's ``last_result``): 200 when it finished, 502 when
    the target failed (``error`` says how; the next apply finishes the job)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "at": 1764673200,
                    "ok": True,
                    "error": None,
                    "done": {"add_members": 1, "add_members.users": 2, "create": 1, "mark": 1},
                    "not_done": 0,
                    "drift": [],
                    "created_users": 0,
                    "missing_users": 1,
                    "missing_user_emails": ["new.person@example.com"],
                    "conflicts": [],
                }
            ]
        }
    )

    at: int
    ok: bool
    error: str | None = None
    done: dict[str, int] = Field(description="Actions done by kind, and the users they moved.")
    not_done: int = Field(description="Actions left for the next apply.")
    drift: list[str] = Field(description="Managed groups found changed on the target.")
    created_users: int = 0
    missing_users: int
    missing_user_emails: list[str] = Field(description="The first 100 of them.")
    conflicts: list[str]


class TargetResponse(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
                    "name": "chat",
                    "base_url": "http://localhost:3000",
                    "scope": "all",
                    "created_at": 1767225600,
                    "last_apply_at": 1767312000,
                    "last_result": {
                        "at": 1767312000,
                        "ok": True,
                        "error": None,
                        "done": {"add_members": 1, "add_members.users": 1, "create": 1},
                        "not_done": 0,
                    },
                    "create_missing_users": False,
                    "reconcile_minutes": 15,
                    "status": "in_sync",
                    "failures": 0,
                    "retry_at": None,
                }
            ]
        },
    )

    id: str
    name: str
    base_url: str
    scope: str
    created_at: int
    last_apply_at: int | None = None
    last_result: dict[str, Any] | None = None
    create_missing_users: bool = False
    reconcile_minutes: int | None = None
    status: TargetStatus = "manual"
    failures: int = Field(default=0, description="Failed applies in a row.")
    retry_at: int | None = Field(
        default=None, description="When the reconcile loop tries a failing target again."
    )
