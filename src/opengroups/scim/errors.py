"""SCIM errors (RFC 7644 §3.12): every refusal of the SCIM service is one of scim2-models'
``SCIMException`` classes, rendered as a SCIM ``Error`` by the SCIM application. Domain errors
raised by the services it calls are translated here, in one place."""

from __future__ import annotations

from pydantic import ValidationError
from scim2_models import (
    Error,
    ForbiddenException,
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    SCIMException,
    UnauthorizedException,
    UniquenessException,
)

from opengroups.errors import OpenGroupsError

# Domain statuses and the SCIM error each becomes.
_BY_STATUS: dict[int, type[SCIMException]] = {
    401: UnauthorizedException,
    403: ForbiddenException,
    404: NotFoundException,
    409: UniquenessException,
    412: PreconditionFailedException,
}


class TooManyRequests(SCIMException):
    """429 (RFC 7644 §3.12 lists it without a scimType), with ``Retry-After``."""

    status = 429

    def __init__(self, detail: str, retry_after: str | None) -> None:
        super().__init__(detail=detail)
        self.retry_after = retry_after


def from_domain(exc: OpenGroupsError) -> SCIMException:
    """The SCIM error for a refusal of an opengroups service."""
    if exc.status_code == 429:
        return TooManyRequests(exc.message, (exc.headers or {}).get("Retry-After"))
    kind = _BY_STATUS.get(exc.status_code, InvalidValueException)
    return kind(detail=exc.message)


def from_validation(exc: ValidationError) -> Error:
    """The SCIM error for a payload scim2-models refused (its first problem, with the
    attribute it concerns)."""
    return Error.from_validation_errors(exc)[0] if exc.errors() else Error(status=400)
