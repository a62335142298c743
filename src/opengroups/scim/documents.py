"""SCIM resources and opengroups' rows: how one becomes the other.

A resource's attributes with a column of their own (userName, externalId, active, the display
name, the e-mail; a group's displayName and externalId) live in those columns, which the rest
of opengroups reads and may change; every other attribute the provisioning client wrote is kept
in the row's ``scim`` document, as it arrived, so that it reads back as written (RFC 7643 §2).
Memberships and ``groups`` come from the membership tables, never from the document.

Reading builds the SCIM JSON of a row; scim2-models then applies ``attributes`` and
``excludedAttributes`` (``render``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from scim2_models import (
    Context,
    EnterpriseUser,
    InvalidValueException,
    ResponseParameters,
)
from scim2_models import Group as GroupResource
from scim2_models import User as CoreUser

from opengroups.models import Group, User
from opengroups.schemas_common import MAX_NAME_LENGTH, Email

UserResource = CoreUser[EnterpriseUser]
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
# The domain of the e-mail given to an account provisioned without one (RFC 2606: never real).
NO_EMAIL_DOMAIN = "provisioned.invalid"

# Attributes never kept in the document: the server's own, the columns', the write-only
# password, and what the membership tables answer.
_NOT_KEPT = {"schemas", "id", "meta", "userName", "externalId", "groups", "password"}
_GROUP_NOT_KEPT = {"schemas", "id", "meta", "displayName", "externalId", "members"}
_EMAIL = TypeAdapter(Email)


def _time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def version_of(revision: int) -> str:
    """``meta.version`` and the ETag header: the row's revision, as opengroups' ETags are."""
    return f'W/"{revision}"'


def _meta(kind: str, location: str, created: int, modified: int, revision: int) -> dict[str, Any]:
    return {
        "resourceType": kind,
        "created": _time(created),
        "lastModified": _time(modified),
        "location": location,
        "version": version_of(revision),
    }


def user_json(user: User, groups: list[tuple[str, str]], base: str) -> dict[str, Any]:
    """The SCIM JSON of a user; ``groups`` their direct groups as ``(id, name)``."""
    if user.scim is None:  # never written through SCIM: what opengroups knows of them
        document: dict[str, Any] = {
            "displayName": user.name,
            "emails": [{"value": user.email, "primary": True}],
        }
    else:
        document = dict(user.scim)
        if "displayName" in document:
            document["displayName"] = user.name
        document = _with_current_email(document, user.email)
    schemas = [USER_SCHEMA] + ([ENTERPRISE_SCHEMA] if ENTERPRISE_SCHEMA in document else [])
    document.update(
        schemas=schemas,
        id=user.id,
        userName=user.user_name or user.email,
        meta=_meta(
            "User", f"{base}/Users/{user.id}", user.created_at, user.updated_at, user.revision
        ),
    )
    # The column decides; a client that never set ``active`` (or removed it) reads none, as
    # long as the account is active.
    if user.scim is None or "active" in document or not user.active:
        document["active"] = user.active
    if user.external_id is not None:
        document["externalId"] = user.external_id
    if groups:
        document["groups"] = [
            {"value": gid, "$ref": f"{base}/Groups/{gid}", "display": name, "type": "direct"}
            for gid, name in groups
        ]
    return document


def _with_current_email(document: dict[str, Any], email: str) -> dict[str, Any]:
    """The document's e-mails with the account's e-mail as the primary one's value, when an
    admin changed it through the API since the client wrote them."""
    emails = document.get("emails")
    if not isinstance(emails, list) or not emails:
        return document
    if any(isinstance(e, dict) and str(e.get("value", "")).lower() == email for e in emails):
        return document
    index = next((i for i, e in enumerate(emails) if isinstance(e, dict) and e.get("primary")), 0)
    emails = [dict(e) if isinstance(e, dict) else e for e in emails]
    emails[index] = {**emails[index], "value": email}
    return {**document, "emails": emails}


def group_json(
    group: Group,
    base: str,
    *,
    member_user_ids: list[str] | None,
    member_group_ids: list[str] | None,
) -> dict[str, Any]:
    """The SCIM JSON of a group; members given as None are left out (not read)."""
    document: dict[str, Any] = dict(group.scim or {})
    document.update(
        schemas=[GROUP_SCHEMA],
        id=group.id,
        displayName=group.name,
        meta=_meta(
            "Group", f"{base}/Groups/{group.id}", group.created_at, group.updated_at, group.revision
        ),
    )
    if group.external_id is not None:
        document["externalId"] = group.external_id
    if member_user_ids is not None and member_group_ids is not None:
        # No ``display``: it is optional, and a member's name is the user's to change.
        members = [
            {"value": uid, "$ref": f"{base}/Users/{uid}", "type": "User"} for uid in member_user_ids
        ] + [
            {"value": gid, "$ref": f"{base}/Groups/{gid}", "type": "Group"}
            for gid in member_group_ids
        ]
        if members:
            document["members"] = members
    return document


def render(
    document: dict[str, Any],
    model: type[UserResource] | type[GroupResource],
    parameters: ResponseParameters[Any] | None,
) -> dict[str, Any]:
    """The resource as sent: validated by scim2-models and cut to the attributes asked for."""
    resource = model.model_validate(document, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    return resource.model_dump(
        scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=parameters
    )


@dataclass(frozen=True)
class UserValues:
    """What a SCIM user resource sets on the row."""

    user_name: str
    name: str
    email: str
    external_id: str | None
    active: bool
    document: dict[str, Any]
    password: str | None


def user_values(resource: UserResource, *, user_id: str) -> UserValues:
    """The row's values for a validated user resource. Raises ``InvalidValueException``."""
    dumped = resource.model_dump(scim_ctx=Context.DEFAULT, by_alias=True, exclude_none=True)
    document = {key: value for key, value in dumped.items() if key not in _NOT_KEPT}
    user_name = (resource.user_name or "").strip()
    if not user_name:
        raise InvalidValueException(detail="userName is required and may not be blank.")
    if len(user_name) > 320:
        raise InvalidValueException(detail="userName is longer than 320 characters.")
    return UserValues(
        user_name=user_name,
        name=_display_name(resource, user_name),
        email=_email(resource, user_name, user_id),
        external_id=resource.external_id,
        active=resource.active is not False,
        document=document,
        password=resource.password,
    )


def _display_name(resource: UserResource, user_name: str) -> str:
    name = resource.name
    parts = [name.given_name, name.family_name] if name else []
    candidates = [
        resource.display_name,
        name.formatted if name else None,
        " ".join(part for part in parts if part),
        user_name,
    ]
    chosen = next(c.strip() for c in candidates if c is not None and c.strip())
    return chosen[:MAX_NAME_LENGTH]


def _email(resource: UserResource, user_name: str, user_id: str) -> str:
    """The account's e-mail: the primary e-mail, else the first, else a userName that is an
    address, else one of ``NO_EMAIL_DOMAIN`` (an account needs one; it can never receive
    mail)."""
    emails = [e for e in resource.emails or [] if e.value]
    chosen = next((e for e in emails if e.primary), emails[0] if emails else None)
    if chosen is not None and chosen.value is not None:
        try:
            return _EMAIL.validate_python(chosen.value)
        except ValidationError as exc:
            raise InvalidValueException(
                detail=f"emails: {chosen.value!r} is not an e-mail address."
            ) from exc
    try:
        return _EMAIL.validate_python(user_name)
    except ValidationError:
        return f"{uuid.UUID(user_id).hex}@{NO_EMAIL_DOMAIN}"


@dataclass(frozen=True)
class GroupValues:
    display_name: str
    external_id: str | None
    document: dict[str, Any] | None


def group_values(resource: GroupResource) -> GroupValues:
    dumped = resource.model_dump(scim_ctx=Context.DEFAULT, by_alias=True, exclude_none=True)
    document = {key: value for key, value in dumped.items() if key not in _GROUP_NOT_KEPT}
    if not resource.display_name or not resource.display_name.strip():
        raise InvalidValueException(detail="displayName is required and may not be blank.")
    return GroupValues(
        display_name=resource.display_name,
        external_id=resource.external_id,
        document=document or None,
    )
