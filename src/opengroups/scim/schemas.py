"""Bodies of the provisioning-client routes (the SCIM protocol's own bodies are scim2-models')."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opengroups.schemas_common import Name

# The examples' client, as the OpenAPI document shows it.
_CLIENT: dict[str, Any] = {
    "id": "7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e",
    "name": "Entra ID (production)",
    "created_by": "3f0c2a5e-8b1d-4e7a-9c6f-2d4b8a1e7c35",
    "created_at": 1767225600,
    "last_used_at": 1767312000,
    "revoked_at": None,
}


class ScimClientForm(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "Entra ID (production)"}]}
    )

    name: Name = Field(description="Who provisions through it, e.g. 'Entra ID (production)'.")


class ScimClientResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_CLIENT]})

    id: str
    name: str
    created_by: str | None
    created_at: int
    last_used_at: int | None
    revoked_at: int | None


class ScimClientCreated(ScimClientResponse):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                _CLIENT
                | {
                    "last_used_at": None,
                    "token": "scim_U8oNDRCkrkQF5ldXW6i48urx-kb_lajpKFwAl4h5Hms",
                }
            ]
        }
    )

    token: str = Field(
        description="The bearer token of the SCIM client. Shown once: only its hash is stored."
    )
