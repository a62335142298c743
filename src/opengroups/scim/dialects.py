"""What identity providers really send, brought to the RFC's form before scim2-models reads it.

Most of the dialects are switches of scim2-models (``POLICY``): PascalCase operations
(``Replace``), booleans as strings (``"False"``), Microsoft Entra's ``remove`` carrying the
members to remove as its value, an ``add`` to a value path that matches nothing (Entra adds
``emails[type eq "work"].value`` that way). What remains is rewritten here: Entra sets the
enterprise ``manager`` to the manager's id alone, where RFC 7643 §4.3 wants
``{"value": id, "$ref": uri}``.
"""

from __future__ import annotations

from typing import Any

from scim2_models import ScimPolicy

POLICY = ScimPolicy(
    # Identity providers send their own extension attributes (Okta's, custom mappings): they are
    # dropped rather than refused, so one unmapped attribute does not stop provisioning.
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
_MANAGER_PATH = f"{ENTERPRISE}:manager".lower()


def _manager(value: Any, base: str) -> Any:
    if isinstance(value, str):
        value = {"value": value}
    if isinstance(value, dict) and value.get("value") and not value.get("$ref"):
        value = {**value, "$ref": f"{base}/Users/{value['value']}"}
    return value


def user_payload(payload: Any, base: str) -> Any:
    """A user resource with its manager in the RFC's form."""
    if isinstance(payload, dict) and isinstance(payload.get(ENTERPRISE), dict):
        extension = payload[ENTERPRISE]
        if "manager" in extension:
            payload = {
                **payload,
                ENTERPRISE: {**extension, "manager": _manager(extension["manager"], base)},
            }
    return payload


def patch_payload(payload: Any, base: str) -> Any:
    """A user PATCH with every manager value in the RFC's form."""
    if not isinstance(payload, dict) or not isinstance(payload.get("Operations"), list):
        return payload
    operations = []
    for operation in payload["Operations"]:
        if isinstance(operation, dict) and "value" in operation:
            path = operation.get("path")
            if isinstance(path, str) and path.lower() == _MANAGER_PATH:
                operation = {**operation, "value": _manager(operation["value"], base)}
            elif path is None and isinstance(operation["value"], dict):
                value = dict(operation["value"])
                for key in list(value):
                    if key.lower() == _MANAGER_PATH:
                        value[key] = _manager(value[key], base)
                value = user_payload(value, base)
                operation = {**operation, "value": value}
        operations.append(operation)
    return {**payload, "Operations": operations}
