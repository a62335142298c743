"""Pydantic bodies of the connector: a target as it is registered and shown (never its key)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from opengroups.schemas_common import Name


def _check_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// address, e.g. https://chat.example.com")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("must be a plain address, without credentials, query or fragment")
    return value.rstrip("/")


BaseUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2048),
    AfterValidator(_check_base_url),
]
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


class TargetResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    base_url: str
    scope: str
    created_at: int
    last_apply_at: int | None = None
    last_result: dict[str, Any] | None = None
