"""Admin pages: sign-in, users and their effective permissions, defaults, audit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from opengroups.admin import forms
from opengroups.admin import session as cookies
from opengroups.admin.forms import text
from opengroups.admin.web import Admin, PostedForm, attempt, back, page
from opengroups.audit import service as audit_service
from opengroups.auths import service as auths_service
from opengroups.auths.schemas import SigninForm
from opengroups.auths.throttle import TooManyAttempts
from opengroups.authz import service as authz_service
from opengroups.dependencies import (
    INT64_MAX,
    MAX_PAGE,
    ActorDep,
    DatabaseDep,
    RuntimeDep,
    SessionDep,
)
from opengroups.errors import OpenGroupsError
from opengroups.kit.pagination import page_count
from opengroups.models import User
from opengroups.users import service as users_service

# Paths are relative to the admin application's mount point, ``/admin``.
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _safe_next(target: str) -> str:
    """Only our own pages: never redirect a signed-in admin to another site."""
    return (
        target if target.startswith("/admin/") and not target.startswith("//") else "/admin/groups"
    )


@router.get("/", include_in_schema=False)
async def admin_home() -> RedirectResponse:
    return RedirectResponse("/admin/groups", status_code=303)


@router.get("/login", response_class=HTMLResponse)
async def login_page(
    request: Request, next_path: Annotated[str, Query(alias="next")] = ""
) -> HTMLResponse:
    return page(request, "login.html", None, next=next_path)


@router.post("/login", response_model=None)
async def login(
    request: Request, database: DatabaseDep, actor: ActorDep, runtime: RuntimeDep
) -> HTMLResponse | RedirectResponse:
    """Sign in with an e-mail and password (held to the same throttle as the API's sign-in), or
    an API key. Only admins get a session."""
    form = await request.form()
    api_key, email = text(form, "api_key"), text(form, "email")
    password = form.get("password")
    user: User | None = None
    try:
        if api_key:
            async with database.session(write=False) as session:
                user = await auths_service.authenticate(
                    session, runtime.caches, credential=api_key, settings=runtime.settings
                )
        else:
            signin = SigninForm(email=email, password=password if isinstance(password, str) else "")
            user = await auths_service.checked_credentials(
                database, runtime.passwords, form=signin, settings=runtime.settings, actor=actor
            )
    except TooManyAttempts as refused:
        response = page(
            request,
            "login.html",
            None,
            next=text(form, "next"),
            status_code=429,
            failure=refused.message,
        )
        response.headers.update(refused.headers or {})
        return response
    except (OpenGroupsError, ValidationError):
        user = None
    next_path = text(form, "next")
    if user is None:
        return page(
            request,
            "login.html",
            None,
            next=next_path,
            status_code=401,
            failure="Wrong e-mail, password or API key.",
        )
    if user.role != "admin":
        return page(
            request,
            "login.html",
            None,
            next=next_path,
            status_code=403,
            failure="Only administrators may use this page.",
        )
    redirect = RedirectResponse(_safe_next(next_path), status_code=303)
    redirect.set_cookie(
        cookies.COOKIE,
        cookies.issue_session(
            user.id, secret=runtime.settings.resolved_secret_key(), version=user.token_version
        ),
        max_age=cookies.SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/admin",
    )
    return redirect


@router.post("/logout")
async def logout(form: PostedForm, admin: Admin, session: SessionDep) -> RedirectResponse:
    """Sign out: the cookie goes, and with it every session of this admin (``sign_out``)."""
    await auths_service.sign_out(session, user_id=admin.user.id)
    response = RedirectResponse("/admin/login", status_code=303)
    response.delete_cookie(cookies.COOKIE, path="/admin")
    return response


@router.get("/users", response_class=HTMLResponse)
async def users_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    query: Annotated[str, Query(max_length=255)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    listing = await users_service.list_users(
        session,
        query=query or None,
        order_by="name",
        direction="asc",
        page=page_number,
        page_size=PAGE_SIZE,
    )
    return page(
        request,
        "users.html",
        admin,
        listing=listing,
        query=query,
        page=page_number,
        pages=page_count(listing.total, PAGE_SIZE),
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
async def user_page(
    request: Request, user_id: str, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    user = await users_service.require_user(session, user_id)
    explanation = await authz_service.explain_permissions(session, runtime.authz, user=user)
    detail = await users_service.get_user_detail(session, user_id=user_id)
    return page(request, "user.html", admin, user=detail.value, explanation=explanation)


@router.get("/defaults", response_class=HTMLResponse)
async def defaults_page(
    request: Request, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    values = await authz_service.default_values(session, runtime.authz)
    sections: dict[str, list[dict[str, Any]]] = {}
    for key, catalog_default in runtime.authz.catalog.defaults.items():
        section, _, leaf = key.rpartition(".")
        sections.setdefault(section, []).append(
            {"key": key, "name": leaf, "on": values[key], "catalog_default": catalog_default}
        )
    return page(request, "defaults.html", admin, sections=sections)


@router.post("/defaults")
async def save_defaults(
    form: PostedForm, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    authz = runtime.authz
    tree = forms.defaults_tree(form, authz.catalog)
    error = await attempt(
        session, lambda: authz_service.set_default_permissions(session, authz, tree)
    )
    return back("/admin/defaults", message=None if error else "Defaults saved.", error=error)


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    action: str = "",
    actor_id: str = "",
    resource_type: str = "",
    resource_id: str = "",
    cursor: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
) -> HTMLResponse:
    events = await audit_service.list_events(
        session,
        action=action or None,
        actor_id=actor_id or None,
        resource_type=resource_type or None,
        resource_id=resource_id or None,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    return page(
        request,
        "audit.html",
        admin,
        events=events,
        filters={
            "action": action,
            "actor_id": actor_id,
            "resource_type": resource_type,
            "resource_id": resource_id,
        },
    )
