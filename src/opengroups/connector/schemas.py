"""Pydantic bodies of the connector: a target as it is registered and shown (never its key)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

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
    create_missing_users: bool = Field(
        default=False,
        description="Create, on the target, the members it has no account for (by e-mail).",
    )


class TargetUpdateForm(BaseModel):
    """Change a target: only the fields given. ``reconcile_minutes: null`` stops its reconcile
    loop."""

    base_url: BaseUrl | None = None
    api_key: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | None = Field(
        default=None, repr=False
    )
    reconcile_minutes: int | None = Field(default=None, ge=1, le=MAX_RECONCILE_MINUTES)
    create_missing_users: bool | None = None


class AdoptForm(BaseModel):
    """Unmanaged groups of the target to take over, by name."""

    adopt: list[Name] = Field(default_factory=list, max_length=10_000)


class TargetResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

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
