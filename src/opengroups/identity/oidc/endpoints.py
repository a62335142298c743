"""``/api/v1/auths/oidc``: signing in through the configured OpenID providers, for API clients
(the callback answers a token, as ``/auths/signin`` does) and for the admin page (a ``next``
under ``/admin/`` gets the admin session cookie and a redirect)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from opengroups.admin import session as admin_cookies
from opengroups.audit import recorder
from opengroups.auths import service as auths_service
from opengroups.auths.schemas import SessionUserResponse
from opengroups.dependencies import RuntimeDep, SessionDep
from opengroups.errors import NotFound, NotPermitted
from opengroups.identity.config import OidcProvider
from opengroups.identity.oidc import signin
from opengroups.openapi import refusals

router = APIRouter(prefix="/api/v1/auths/oidc", tags=["auths"])
_PATH = "/api/v1/auths/oidc"


class ProviderInfo(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "keycloak",
                    "display_name": "Company sign-in",
                    "login_url": "/api/v1/auths/oidc/keycloak/login",
                }
            ]
        }
    )

    name: str
    display_name: str
    login_url: str


def _provider(runtime: RuntimeDep, name: str) -> OidcProvider:
    found = runtime.identity.provider(name)
    if found is None:
        raise NotFound(f"No OpenID provider is called '{name}'.")
    return found


def _callback_url(request: Request, name: str) -> str:
    return f"{request.url.scheme}://{request.url.netloc}{_PATH}/{name}/callback"


def _safe_next(next_path: str) -> str:
    """Only a path of this service (never another site)."""
    return next_path if next_path.startswith("/") and not next_path.startswith("//") else ""


@router.get("/providers", response_model=list[ProviderInfo])
async def providers(runtime: RuntimeDep) -> list[ProviderInfo]:
    """The configured OpenID providers, and where each sign-in starts (no credentials needed)."""
    return [
        ProviderInfo(
            name=p.name, display_name=p.display_name or p.name, login_url=f"{_PATH}/{p.name}/login"
        )
        for p in runtime.identity.oidc
    ]


@router.get("/{name}/login", status_code=302, responses=refusals(404, 502))
async def login(
    request: Request,
    runtime: RuntimeDep,
    name: str,
    next_path: Annotated[str, Query(alias="next", max_length=2000)] = "",
) -> Response:
    """Send the browser to the provider (authorization code with PKCE); ``next``: where the
    browser goes once signed in (a path of this service)."""
    provider = _provider(runtime, name)
    started = await signin.start(
        runtime.caches,
        provider,
        redirect_uri=_callback_url(request, name),
        next_path=_safe_next(next_path),
        secret=runtime.settings.resolved_secret_key(),
    )
    redirect = RedirectResponse(started.url, status_code=302)
    redirect.set_cookie(
        signin.COOKIE,
        started.cookie,
        max_age=signin.STATE_SECONDS,
        httponly=True,
        samesite="lax",  # sent on the provider's redirect back, a top-level GET
        secure=request.url.scheme == "https",
        path=f"{_PATH}/{name}",
    )
    return redirect


@router.get(
    "/{name}/callback",
    response_model=SessionUserResponse,
    responses=refusals(400, 401, 403, 404, 409, 502),
)
async def callback(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    name: str,
    code: Annotated[str | None, Query(max_length=4096)] = None,
    state: Annotated[str | None, Query(max_length=512)] = None,
    error: Annotated[str | None, Query(max_length=256)] = None,
    error_description: Annotated[str | None, Query(max_length=1024)] = None,
) -> Response:
    """Where the provider sends the browser back: the account signed in (created and its
    groups synced as configured), answered as ``/auths/signin`` answers, or, for the admin
    page, its session cookie and a redirect."""
    provider = _provider(runtime, name)
    if error is not None:
        raise signin.SigninRefused(
            f"The provider refused the sign-in: {error_description or error}."
        )
    if code is None or state is None:
        raise signin.SigninRefused("The callback lacks its code or state.")
    secret = runtime.settings.resolved_secret_key()
    identity = await signin.finish(
        runtime.caches,
        provider,
        code=code,
        state=state,
        cookie=request.cookies.get(signin.COOKIE),
        redirect_uri=_callback_url(request, name),
        secret=secret,
    )
    user = await signin.sign_in(
        session, runtime.authz, provider, identity, settings=runtime.settings
    )
    recorder.set_actor(session, user_id=user.id)
    recorder.record(
        session,
        action="auth.signin",
        resource_type="auth",
        resource_id=user.email,
        after={"provider": signin.source_of(provider)},
    )
    response: Response
    if identity.next_path.startswith("/admin/"):
        if user.role != "admin":
            raise NotPermitted("Only administrators may use the admin page.")
        response = RedirectResponse(identity.next_path, status_code=303)
        response.set_cookie(
            admin_cookies.COOKIE,
            admin_cookies.issue_session(user.id, secret=secret, version=user.token_version),
            max_age=admin_cookies.SESSION_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/admin",
        )
    else:
        answer = await auths_service.issue_session(
            session, runtime.authz, runtime.caches, user, runtime.settings
        )
        response = JSONResponse(answer.model_dump(mode="json"))
    response.delete_cookie(signin.COOKIE, path=f"{_PATH}/{name}")
    return response
