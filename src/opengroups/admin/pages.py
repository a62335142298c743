"""Admin pages: sign-in, defaults, audit (users are in ``users_pages``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from opengroups.admin import audit_view, forms
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
from opengroups.groups import service as groups_service
from opengroups.models import User
from opengroups.users import cache as users_cache

# Paths are relative to the admin application's mount point, ``/admin``.
router = APIRouter(include_in_schema=False)
# Audit rows are one line each; more than this a page is more than an eye can follow.
AUDIT_PAGE_SIZE = 25


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


@router.get("/defaults", response_class=HTMLResponse)
async def defaults_page(
    request: Request, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    values = await authz_service.default_values(session, runtime.authz)
    sections: dict[str, list[dict[str, Any]]] = {}
    for key, catalog_default in runtime.authz.catalog.defaults.items():
        section, _, leaf = key.rpartition(".")
        sections.setdefault(section, []).append(
            {
                "key": key,
                "name": leaf,
                "description": runtime.authz.catalog.description(key),
                "on": values[key],
                "catalog_default": catalog_default,
            }
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
    runtime: RuntimeDep,
    action: Annotated[str, Query(max_length=255)] = "",
    actor_id: Annotated[str, Query(max_length=255)] = "",
    resource_type: Annotated[str, Query(max_length=255)] = "",
    resource_id: Annotated[str, Query(max_length=255)] = "",
    cursor: Annotated[int | None, Query(ge=0, le=INT64_MAX)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    """A page of audit events, newest first, with names for the ids they hold and the fields
    each changed; ``page`` only numbers the pages that ``cursor`` walks through."""
    events = await audit_service.list_events(
        session,
        action=action or None,
        actor_id=actor_id or None,
        resource_type=resource_type or None,
        resource_id=resource_id or None,
        cursor=cursor,
        limit=AUDIT_PAGE_SIZE,
    )
    user_ids, group_ids = audit_view.ids_of(events.items)
    if actor_id:
        user_ids.add(actor_id)
    if resource_id and resource_type in ("", "user"):
        user_ids.add(resource_id)
    if resource_id and resource_type in ("", "group"):
        group_ids.add(resource_id)
    users = await users_cache.cached_users(session, runtime.caches, sorted(user_ids))
    names = audit_view.Names(
        users={user_id: user.name for user_id, user in users.items()},
        groups=await groups_service.group_names(session, group_ids),
    )
    filters = {
        "action": action,
        "actor_id": actor_id,
        "resource_type": resource_type,
        "resource_id": resource_id,
    }
    rows = audit_view.rows(events.items, names)
    return page(
        request,
        "audit.html",
        admin,
        rows=rows,
        next_cursor=events.next_cursor,
        page=page_number,
        filters=filters,
        active={key: value for key, value in filters.items() if value},
        actor_name=audit_view.actor_label(actor_id, names) if actor_id else "",
        resource_name=(
            audit_view.resource_label(resource_type, resource_id, names, rows)
            if resource_id
            else ""
        ),
        actions=audit_view.ACTIONS,
        resource_types=audit_view.RESOURCE_TYPES,
    )
