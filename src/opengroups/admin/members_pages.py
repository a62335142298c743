"""Admin pages for a group's members: the list (direct, inherited, everyone), finding users and
adding several at once, adding a pasted list of e-mail addresses, removing after a confirmation,
and the CSV import.

What the list shows (its filter, its page, the users found) is kept in the address through every
action, so that adding or removing someone brings the admin back to the same view.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from opengroups.admin import forms
from opengroups.admin.forms import text
from opengroups.admin.web import Admin, AdminContext, PostedForm, attempt, back, page
from opengroups.caching import Caches
from opengroups.dependencies import MAX_PAGE, RuntimeDep, SessionDep
from opengroups.groups import service as groups_service
from opengroups.kit.pagination import page_count
from opengroups.memberships import service as memberships_service
from opengroups.transfer import csv_members
from opengroups.transfer.schemas import CsvImportReport
from opengroups.users import cache as users_cache
from opengroups.users import service as users_service

# Paths are relative to the admin application's mount point, ``/admin``.
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
FOUND_SIZE = 20
# What the members list shows, kept across Find, Add and Remove.
KEPT = ("membership", "query", "page", "find")
MEMBERSHIP_CHOICES = [
    ("effective", "Everyone"),
    ("direct", "Direct members"),
    ("inherited", "Inherited"),
]


def kept_view(values: Mapping[str, Any]) -> dict[str, str]:
    """The list's filter, page and search of users among ``values`` (a query or a form),
    those that are set and not their default."""
    found = {name: str(values.get(name) or "").strip() for name in KEPT}
    if found["membership"] == "effective":
        found["membership"] = ""
    if found["page"] == "1":
        found["page"] = ""
    return {name: value for name, value in found.items() if value}


def _list_of(form: FormData) -> dict[str, Any]:
    """The list a form was posted from (its hidden fields), to show it again; a value that is
    not one the page offers is shown as its default."""
    view = kept_view(form)
    membership = view.get("membership", "effective")
    number = view.get("page", "1")
    plain = number.isascii() and number.isdigit() and len(number) <= len(str(MAX_PAGE))
    return {
        "membership": membership if membership in dict(MEMBERSHIP_CHOICES) else "effective",
        "query": view.get("query", "")[:255],
        "page_number": max(1, min(int(number), MAX_PAGE)) if plain else 1,
        "find": view.get("find", "")[:255],
    }


def _members_path(group_id: str) -> str:
    return f"/admin/groups/{group_id}/members"


async def _members_view(
    request: Request,
    admin: AdminContext,
    session: AsyncSession,
    caches: Caches,
    group_id: str,
    *,
    membership: str = "effective",
    query: str = "",
    page_number: int = 1,
    find: str = "",
    remove: str = "",
    report: CsvImportReport | None = None,
    pasted: list[tuple[str, str]] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The members page: a page of members (with the names of the groups below through which
    they are members), users matching ``find``, the member ``remove`` names to confirm, and
    the report of an import or of a pasted list."""
    group = (await groups_service.get_group(session, group_id=group_id)).value
    listing = await memberships_service.list_members(
        session,
        caches,
        group_id=group_id,
        membership=membership,  # type: ignore[arg-type]
        query=query or None,
        page=page_number,
        page_size=PAGE_SIZE,
    )
    via = {gid for member in listing.items for gid in member.via_group_ids}
    candidates: list[dict[str, Any]] = []
    matches = 0
    if find:
        found = await users_service.list_users(
            session, query=find, order_by="name", direction="asc", page=1, page_size=FOUND_SIZE
        )
        candidates = [
            {
                "id": user.id,
                "name": user.name,
                "email": user.email,
                "member": group_id in user.group_ids,
            }
            for user in found.users
        ]
        matches = found.total
    leaving = await users_cache.cached_user(session, caches, remove) if remove else None
    kept = kept_view({"membership": membership, "query": query, "page": page_number, "find": find})
    return page(
        request,
        "members.html",
        admin,
        status_code=status_code,
        group=group,
        listing=listing,
        group_names=await groups_service.group_names(session, via),
        membership=membership,
        membership_choices=MEMBERSHIP_CHOICES,
        query=query,
        find=find,
        candidates=candidates,
        matches=matches,
        leaving=leaving,
        kept=kept,
        page=page_number,
        pages=page_count(listing.total, PAGE_SIZE),
        report=report,
        pasted=pasted,
    )


@router.get("/groups/{group_id}/members", response_class=HTMLResponse)
async def members_page(
    request: Request,
    group_id: str,
    admin: Admin,
    session: SessionDep,
    runtime: RuntimeDep,
    membership: Annotated[str, Query(pattern="^(direct|inherited|effective)$")] = "effective",
    query: Annotated[str, Query(max_length=255)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    find: Annotated[str, Query(max_length=255)] = "",
    remove: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    return await _members_view(
        request,
        admin,
        session,
        runtime.caches,
        group_id,
        membership=membership,
        query=query,
        page_number=page_number,
        find=find,
        remove=remove,
    )


def _back_to_list(
    group_id: str, form: FormData, *, message: str | None = None, error: str | None = None
) -> RedirectResponse:
    """Back to the members list as the form's hidden fields say it was shown."""
    return back(_members_path(group_id), message=message, error=error, **kept_view(form))


@router.post("/groups/{group_id}/members/add")
async def add_members(
    group_id: str, form: PostedForm, session: SessionDep, admin: Admin
) -> RedirectResponse:
    """Add the users ticked among those found (all or nothing: an unknown one adds no one)."""
    user_ids = forms.member_ids(form)
    if not user_ids:
        return _back_to_list(group_id, form, error="Tick the users to add first.")
    error = await attempt(
        session,
        lambda: memberships_service.add_members(session, group_id=group_id, user_ids=user_ids),
    )
    done = "Member added." if len(user_ids) == 1 else f"{len(user_ids)} members added."
    return _back_to_list(group_id, form, message=None if error else done, error=error)


@router.post("/groups/{group_id}/members/remove")
async def remove_member(
    group_id: str, form: PostedForm, session: SessionDep, admin: Admin
) -> RedirectResponse:
    """Remove the member confirmed on the list (``?remove=``)."""
    user_ids = forms.member_ids(form)
    error = await attempt(
        session,
        lambda: memberships_service.remove_members(session, group_id=group_id, user_ids=user_ids),
    )
    return _back_to_list(group_id, form, message=None if error else "Member removed.", error=error)


async def _import(
    request: Request,
    admin: AdminContext,
    session: AsyncSession,
    caches: Caches,
    group_id: str,
    content: str,
    *,
    form: FormData,
    pasted: list[tuple[str, str]] | None = None,
) -> HTMLResponse | RedirectResponse:
    """Add the members a CSV names, and show the report on the members list."""
    result: dict[str, CsvImportReport] = {}

    async def work() -> None:
        result["report"] = await csv_members.import_members_csv(
            session, group_id=group_id, text=content
        )

    error = await attempt(session, work)
    if error:
        return _back_to_list(group_id, form, error=error)
    return await _members_view(
        request,
        admin,
        session,
        caches,
        group_id,
        **_list_of(form),
        report=result["report"],
        pasted=pasted,
    )


@router.post("/groups/{group_id}/members/add-emails", response_model=None)
async def add_pasted_members(
    request: Request,
    group_id: str,
    form: PostedForm,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: Admin,
) -> HTMLResponse | RedirectResponse:
    """Add the users a pasted list of e-mail addresses names, and say which were not found."""
    entries = forms.pasted_addresses(form)
    if not entries:
        return _back_to_list(group_id, form, error="Paste at least one e-mail address.")
    return await _import(
        request,
        admin,
        session,
        runtime.caches,
        group_id,
        forms.members_csv(entries),
        form=form,
        pasted=entries,
    )


@router.post("/groups/{group_id}/members/import", response_model=None)
async def import_members(
    request: Request,
    group_id: str,
    form: PostedForm,
    session: SessionDep,
    runtime: RuntimeDep,
    admin: Admin,
) -> HTMLResponse | RedirectResponse:
    upload = form.get("file")
    content = text(form, "csv")
    if upload is not None and not isinstance(upload, str):
        content = (await upload.read()).decode("utf-8-sig", errors="replace") or content
    return await _import(request, admin, session, runtime.caches, group_id, content, form=form)
