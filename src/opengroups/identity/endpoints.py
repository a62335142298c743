"""``POST /api/v1/auths/header`` (sign-in by a trusted reverse proxy's headers) and
``GET /api/v1/users/{id}/oauth/sessions`` (the providers an account signs in through)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from opengroups.audit import recorder
from opengroups.auths import service as auths_service
from opengroups.auths.schemas import SessionUserResponse
from opengroups.dependencies import AdminUser, RuntimeDep, SessionDep
from opengroups.errors import NotPermitted
from opengroups.identity import header, repository
from opengroups.openapi import refusals
from opengroups.users import service as users_service

router = APIRouter(prefix="/api/v1/auths", tags=["auths"])
users_router = APIRouter(prefix="/api/v1/users", tags=["users"])


class ProviderLink(BaseModel):
    """How one identity provider knows an account."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "keycloak:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
                    "user_id": "9a7d4e21-6c3b-4f58-8e0a-1b2c3d4e5f60",
                    "provider": "keycloak",
                    "subject": "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
                    "created_at": 1767225600,
                    "updated_at": 1767312000,
                }
            ]
        }
    )

    id: str
    user_id: str
    provider: str
    subject: str
    created_at: int
    updated_at: int


@users_router.get("/{user_id}/oauth/sessions", response_model=list[ProviderLink])
async def provider_links(
    user_id: str, session: SessionDep, _admin: AdminUser
) -> list[ProviderLink]:
    """The identity providers the account signs in through (Open WebUI's OAuth sessions: no
    provider tokens are kept here, so each entry is the provider's link to the account)."""
    await users_service.require_user(session, user_id)
    return [
        ProviderLink(
            id=f"{link.provider}:{link.subject}",
            user_id=link.user_id,
            provider=link.provider,
            subject=link.subject,
            created_at=link.created_at,
            updated_at=link.last_seen_at,
        )
        for link in await repository.links_of(session, user_id)
    ]


@router.post("/header", response_model=SessionUserResponse, responses=refusals(403, 409))
async def header_signin(
    request: Request, session: SessionDep, runtime: RuntimeDep
) -> SessionUserResponse:
    """A token for the person the proxy's headers name (configured in the identity providers'
    file; only from ``OPENGROUPS_TRUSTED_PROXIES``), answered as ``/auths/signin`` answers."""
    config = runtime.identity.header
    if config is None:
        raise NotPermitted("Header sign-in is not configured on this instance.")
    headers = request.headers
    user = await header.sign_in(
        session,
        runtime.authz,
        config,
        peer=request.scope.get("state", {}).get("peer"),
        email=headers.get(config.email_header),
        name=headers.get(config.name_header) if config.name_header else None,
        groups=headers.get(config.groups_header) if config.groups_header else None,
        settings=runtime.settings,
    )
    recorder.set_actor(session, user_id=user.id)
    recorder.record(
        session,
        action="auth.signin",
        resource_type="auth",
        resource_id=user.email,
        after={"provider": header.SOURCE},
    )
    return await auths_service.issue_session(
        session, runtime.authz, runtime.caches, user, runtime.settings
    )
