"""Admin pages for users: the list (with the pending ones to approve), a user's details, role,
password, API key and deletion, their groups and their explained permissions; new users."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from opengroups.admin import forms
from opengroups.admin.forms import text
from opengroups.admin.web import (
    Admin,
    AdminContext,
    PostedForm,
    attempt,
    back,
    first_problem,
    page,
)
from opengroups.auths import service as auths_service
from opengroups.authz import service as authz_service
from opengroups.dependencies import MAX_PAGE, RuntimeDep, SessionDep
from opengroups.kit.etags import etag
from opengroups.kit.pagination import page_count
from opengroups.models import User
from opengroups.permissions import Role
from opengroups.users import service as users_service
from opengroups.users.schemas import UserUpdateForm

# Paths are relative to the admin application's mount point, ``/admin``.
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50

# The role select, and what each role means, in the order an admin meets them.
ROLE_CHOICES: list[tuple[Role, str]] = [
    ("pending", "Pending: signed up, waiting for approval; may do nothing"),
    ("user", "User: has what the defaults and their groups grant"),
    ("admin", "Admin: may manage everything, this page included"),
]


def _listing_params(form: FormData) -> dict[str, str]:
    """The list's search, filter and page a form on it was posted from, to return to."""
    return {name: text(form, name) for name in ("query", "role", "page")}


@router.get("/users", response_class=HTMLResponse)
async def users_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    query: Annotated[str, Query(max_length=255)] = "",
    role: Literal["", "pending", "user", "admin"] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    listing = await users_service.list_users(
        session,
        query=query or None,
        order_by="name",
        direction="asc",
        page=page_number,
        page_size=PAGE_SIZE,
        role=role or None,
    )
    counts = await users_service.role_counts(session)
    return page(
        request,
        "users.html",
        admin,
        listing=listing,
        counts=counts,
        everyone=sum(counts.values()),
        query=query,
        role=role,
        page=page_number,
        pages=page_count(listing.total, PAGE_SIZE),
        role_choices=ROLE_CHOICES,
    )


@router.post("/users/create")
async def create_user(
    form: PostedForm, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    """A new account, made as ``POST /auths/add`` makes it (the default group applies)."""
    created: dict[str, str] = {}

    async def work() -> None:
        response = await auths_service.add_user(
            session,
            runtime.authz,
            runtime.caches,
            runtime.passwords,
            form=forms.new_user_form(form),
            settings=runtime.settings,
        )
        created["id"] = response.id

    error = await attempt(session, work)
    if error:
        return back("/admin/users", error=error)
    return back(f"/admin/users/{created['id']}", message="User created.")


@router.post("/users/{user_id}/approve")
async def approve_user(
    user_id: str, form: PostedForm, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    """Let a pending account in: its role becomes ``user``. Only a pending account: a list
    read before someone else made it an admin must not demote it."""
    user = await users_service.require_user(session, user_id)
    listing = _listing_params(form)
    if user.role != "pending":
        return back(
            "/admin/users", error=f"{user.email} is not pending (role {user.role}).", **listing
        )
    error = await attempt(
        session,
        lambda: users_service.update_user(
            session,
            runtime.passwords,
            actor=admin.user,
            user_id=user_id,
            form=UserUpdateForm(role="user"),
        ),
    )
    message = None if error else f"{user.email} approved: their role is now user."
    return back("/admin/users", message=message, error=error, **listing)


@router.get("/users/{user_id}", response_class=HTMLResponse)
async def user_page(
    request: Request, user_id: str, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    """The user's details and forms, their groups (direct or inherited, and through which
    direct group) and their explained permissions, each group named with its path."""
    user = await users_service.require_user(session, user_id)
    explanation = await authz_service.explain_permissions(session, runtime.authz, user=user)
    groups = sorted(
        explanation.group_details, key=lambda group: [ref.name.casefold() for ref in group.path]
    )
    api_keys = explanation.explanation.get(auths_service.API_KEYS_PERMISSION)
    return page(
        request,
        "user.html",
        admin,
        user=user,
        primary=user.id == await users_service.primary_admin_id(session),
        myself=user.id == admin.user.id,
        standing=runtime.authz.standing(user.role),
        has_api_key=user.api_key_hash is not None,
        # As ``create_api_key`` decides: admins always, others when the key is granted.
        api_key_refused=user.role != "admin" and api_keys is not None and not api_keys.value,
        api_keys_permission=auths_service.API_KEYS_PERMISSION,
        explanation=explanation,
        details={group.id: group for group in explanation.group_details},
        groups=groups,
        role_choices=ROLE_CHOICES,
    )


def _needs_confirmation(admin: AdminContext, user: User, role: str) -> str | None:
    """Why changing ``user``'s role to ``role`` needs a second click, if it does."""
    if role == user.role:
        return None
    if user.id == admin.user.id:
        return (
            f"This is your own account. As {role} you lose access to this page at once, "
            "and are signed out."
        )
    if user.role == "admin":
        return (
            f"{user.name} is an admin. As {role} they lose the admin page and every admin "
            "right at once, and are signed out."
        )
    return None


@router.post("/users/{user_id}/role", response_model=None)
async def change_role(
    request: Request,
    user_id: str,
    form: PostedForm,
    admin: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse | RedirectResponse:
    """Change the role, as ``POST /users/{id}/update`` does (the primary admin's is refused).
    Demoting an admin or changing one's own role asks first; the form carries the revision
    the page showed, so a change made since is refused rather than overwritten."""
    user = await users_service.require_user(session, user_id)
    try:
        changes = forms.role_form(form)
    except ValidationError as exc:  # asked about nothing: no confirmation of a bad role
        return back(f"/admin/users/{user_id}", error=first_problem(exc))
    role, revision = changes.role or "", text(form, "revision")
    was = user.role  # ``user`` is the row the update changes
    reason = _needs_confirmation(admin, user, role)
    if reason and form.get("confirm") != "yes":
        return page(
            request, "user_role.html", admin, user=user, role=role, revision=revision, reason=reason
        )
    if_match = etag(int(revision)) if revision.isdecimal() else None
    error = await attempt(
        session,
        lambda: users_service.update_user(
            session,
            runtime.passwords,
            actor=admin.user,
            user_id=user_id,
            form=changes,
            if_match=if_match,
        ),
    )
    if error:
        return back(f"/admin/users/{user_id}", error=error)
    if role == was:
        return back(f"/admin/users/{user_id}", message="The role is unchanged.")
    if user.id == admin.user.id:  # the change ended this session too
        return back("/admin/login", message=f"Your role is now {role}.")
    return back(
        f"/admin/users/{user_id}",
        message=f"Role changed to {role}. Their sessions ended: they sign in again.",
    )


def _shown_once(
    request: Request, admin: AdminContext, user: User, *, what: str, value: str, note: str
) -> HTMLResponse:
    """A page showing a new secret (a password, an API key) this once: it is stored only
    hashed, and it must not stay in the browser's cache."""
    response = page(
        request, "user_secret.html", admin, user=user, what=what, value=value, note=note
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/users/{user_id}/password", response_model=None)
async def reset_password(
    request: Request,
    user_id: str,
    form: PostedForm,
    admin: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse | RedirectResponse:
    """Set a new password, typed twice or generated (then shown once), as ``POST
    /users/{id}/update`` sets it: the policy applies, and every session of the user ends."""
    user = await users_service.require_user(session, user_id)
    generated = runtime.passwords.generate() if form.get("generate") == "yes" else None

    async def work() -> None:
        changes = (
            UserUpdateForm(password=generated)
            if generated is not None
            else forms.password_form(form)
        )
        await users_service.update_user(
            session, runtime.passwords, actor=admin.user, user_id=user_id, form=changes
        )

    error = await attempt(session, work)
    if error:
        return back(f"/admin/users/{user_id}", error=error)
    if generated is not None:
        return _shown_once(
            request,
            admin,
            user,
            what="New password",
            value=generated,
            note="Give it to them over a channel you trust. Their sessions ended.",
        )
    if user.id == admin.user.id:
        return back("/admin/login", message="Password changed: sign in with the new one.")
    return back(f"/admin/users/{user_id}", message="Password changed. Their sessions ended.")


@router.post("/users/{user_id}/api-key", response_model=None)
async def create_api_key(
    request: Request,
    user_id: str,
    form: PostedForm,
    admin: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
) -> HTMLResponse | RedirectResponse:
    """A new API key for the user (replacing theirs), held to the rule ``POST /auths/api_key``
    applies: a non-admin needs ``features.api_keys``. Shown once."""
    user = await users_service.require_user(session, user_id)
    created: dict[str, str] = {}

    async def work() -> None:
        created["key"] = await auths_service.create_api_key(
            session, runtime.authz, runtime.caches, user_id=user_id
        )

    error = await attempt(session, work)
    if error:
        return back(f"/admin/users/{user_id}", error=error)
    return _shown_once(
        request,
        admin,
        user,
        what="New API key",
        value=created["key"],
        note="It replaces any key they had. Only its hash is stored.",
    )


@router.post("/users/{user_id}/api-key/revoke")
async def revoke_api_key(
    user_id: str, form: PostedForm, admin: Admin, session: SessionDep
) -> RedirectResponse:
    await users_service.require_user(session, user_id)
    error = await attempt(session, lambda: auths_service.delete_api_key(session, user_id=user_id))
    message = None if error else "API key revoked."
    return back(f"/admin/users/{user_id}", message=message, error=error)


@router.get("/users/{user_id}/delete", response_class=HTMLResponse)
async def confirm_delete(
    request: Request, user_id: str, admin: Admin, session: SessionDep
) -> HTMLResponse:
    detail = (await users_service.get_user_detail(session, user_id=user_id)).value
    return page(request, "user_delete.html", admin, user=detail)


@router.post("/users/{user_id}/delete")
async def delete_user(
    user_id: str, form: PostedForm, admin: Admin, session: SessionDep
) -> RedirectResponse:
    """Delete the user with their memberships and grants, as ``DELETE /users/{id}`` does
    (oneself and the primary admin are refused)."""
    email = (await users_service.require_user(session, user_id)).email
    error = await attempt(
        session,
        lambda: users_service.delete_user(session, actor=admin.user, user_id=user_id),
    )
    if error:
        return back(f"/admin/users/{user_id}", error=error)
    return back("/admin/users", message=f"User {email} deleted.")
