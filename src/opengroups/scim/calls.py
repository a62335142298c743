"""What every SCIM operation receives, and what the two resource types offer, so that one set
of routes serves both (``endpoints``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from scim2_models import ResponseParameters
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.config import Settings
from opengroups.kit.passwords import Passwords
from opengroups.models import ScimClient
from opengroups.permissions.policy import Authz

Parameters = ResponseParameters[Any] | None


@dataclass(frozen=True)
class Call:
    """One SCIM request: its transaction, the provisioning client, the SCIM root it came
    through (``meta.location`` and ``$ref`` start with it), and the process's services."""

    session: AsyncSession
    client: ScimClient
    base: str
    settings: Settings
    authz: Authz
    passwords: Passwords


@dataclass(frozen=True)
class Query:
    """A listing: RFC 7644 §3.4.2's parameters, checked (``startIndex`` ≥ 1, ``count`` ≥ 0)."""

    filter_text: str | None
    sort_by: str | None
    descending: bool
    start_index: int
    count: int
    parameters: Parameters


@dataclass(frozen=True)
class Answer:
    """A resource as sent, and its version (the ETag)."""

    body: dict[str, Any]
    version: str


@dataclass(frozen=True)
class ResourceKind:
    """The operations of one resource type (``users.KIND``, ``groups.KIND``). ``patch``
    answers a version alone when it answers no body (204)."""

    endpoint: str
    model: type[Any]
    get: Callable[[Call, str, Parameters], Awaitable[Answer]]
    listing: Callable[[Call, Query], Awaitable[tuple[int, list[dict[str, Any]]]]]
    create: Callable[[Call, Any], Awaitable[Answer]]
    replace: Callable[[Call, str, Any, str | None], Awaitable[Answer]]
    patch: Callable[[Call, str, Any, str | None, Parameters], Awaitable[Answer | str]]
    delete: Callable[[Call, str, str | None], Awaitable[None]]
