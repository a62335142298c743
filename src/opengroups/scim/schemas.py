"""Bodies of the provisioning-client routes (the SCIM protocol's own bodies are scim2-models')."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from opengroups.schemas_common import Name


class ScimClientForm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="Who provisions through it, e.g. 'Entra ID (production)'.")


class ScimClientResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    created_by: str | None
    created_at: int
    last_used_at: int | None
    revoked_at: int | None


class ScimClientCreated(ScimClientResponse):
    token: str = Field(
        description="The bearer token of the SCIM client. Shown once: only its hash is stored."
    )
