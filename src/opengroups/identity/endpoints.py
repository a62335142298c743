"""``POST /api/v1/auths/header``: sign-in by a trusted reverse proxy's headers."""

from __future__ import annotations

from fastapi import APIRouter, Request

from opengroups.audit import recorder
from opengroups.auths import service as auths_service
from opengroups.auths.schemas import SessionUserResponse
from opengroups.dependencies import RuntimeDep, SessionDep
from opengroups.errors import NotPermitted
from opengroups.identity import header
from opengroups.openapi import refusals

router = APIRouter(prefix="/api/v1/auths", tags=["auths"])


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
