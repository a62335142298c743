"""Admin pages for groups: the tree, a group's settings and permissions, its members."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from opengroups.admin import forms
from opengroups.admin.forms import SHARE_CHOICES, text
from opengroups.admin.web import Admin, AdminContext, PostedForm, attempt, back, page
from opengroups.authz import service as authz_service
from opengroups.caching import Caches
from opengroups.dependencies import MAX_PAGE, RuntimeDep, SessionDep
from opengroups.groups import service as groups_service
from opengroups.groups.hierarchy import TreeNode
from opengroups.kit.pagination import page_count
from opengroups.memberships import service as memberships_service
from opengroups.permissions.share import read_share
from opengroups.transfer import csv_members
from opengroups.transfer.schemas import CsvImportReport
from opengroups.users import service as users_service

# Paths are relative to the admin application's mount point, ``/admin``.
router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _choices(nodes: list[TreeNode]) -> list[tuple[str, str, int]]:
    """``(id, name, depth)`` of groups in tree order, for a parent ``<select>``."""
    return [(node.id, node.name, node.depth) for node in nodes]


@router.get("/groups", response_class=HTMLResponse)
async def groups_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    query: Annotated[str, Query(max_length=255)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
) -> HTMLResponse:
    tree = await groups_service.tree(session)
    rows, total = groups_service.tree_page(
        tree, query=query or None, page=page_number, page_size=PAGE_SIZE
    )
    return page(
        request,
        "groups.html",
        admin,
        rows=[
            {
                "id": row.id,
                "name": row.name,
                "depth": row.depth,
                "members": row.member_count,
                "has_children": row.has_children,
            }
            for row in rows
        ],
        query=query,
        page=page_number,
        pages=page_count(total, PAGE_SIZE),
        total=total,
        parents=_choices(groups_service.possible_parents(tree, None)),
        share_choices=SHARE_CHOICES,
    )


@router.post("/groups/create")
async def create_group(
    form: PostedForm, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    created: dict[str, Any] = {}

    async def work() -> None:
        response = await groups_service.create_group(
            session,
            runtime.authz,
            actor=admin.user,
            form=forms.group_form(form),
            settings=runtime.settings,
        )
        created["id"] = response.id

    error = await attempt(session, work)
    if error:
        return back("/admin/groups", error=error)
    return back(f"/admin/groups/{created['id']}", message="Group created.")


@router.get("/groups/{group_id}", response_class=HTMLResponse)
async def group_page(
    request: Request, group_id: str, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    group = (await groups_service.get_group(session, group_id=group_id)).value
    authz = runtime.authz
    defaults = await authz_service.default_values(session, authz)
    granted = authz.catalog.granted(group.permissions)
    sections: dict[str, list[dict[str, Any]]] = {}
    for key in authz.catalog.defaults:
        section, _, leaf = key.rpartition(".")
        sections.setdefault(section, []).append(
            {"key": key, "name": leaf, "on": key in granted, "default_on": defaults[key]}
        )
    return page(
        request,
        "group.html",
        admin,
        group=group,
        share=read_share(group.data),
        share_choices=SHARE_CHOICES,
        sections=sections,
        parents=_choices(
            groups_service.possible_parents(await groups_service.tree(session), group_id)
        ),
    )


@router.post("/groups/{group_id}/edit")
async def edit_group(
    group_id: str, form: PostedForm, session: SessionDep, runtime: RuntimeDep, admin: Admin
) -> RedirectResponse:
    async def work() -> None:
        await groups_service.update_group(
            session,
            runtime.authz,
            group_id=group_id,
            form=forms.group_update_form(form),
            settings=runtime.settings,
        )

    error = await attempt(session, work)
    return back(f"/admin/groups/{group_id}", message=None if error else "Saved.", error=error)


@router.post("/groups/{group_id}/permissions")
async def set_group_permissions(
    group_id: str, form: PostedForm, session: SessionDep, runtime: RuntimeDep, admin: Admin
) -> RedirectResponse:
    async def work() -> None:
        await groups_service.update_group(
            session,
            runtime.authz,
            group_id=group_id,
            form=forms.permissions_form(form, runtime.authz.catalog),
            settings=runtime.settings,
        )

    error = await attempt(session, work)
    message = None if error else "Permissions saved."
    return back(f"/admin/groups/{group_id}", message=message, error=error)


@router.get("/groups/{group_id}/delete", response_class=HTMLResponse)
async def confirm_delete(
    request: Request, group_id: str, admin: Admin, session: SessionDep
) -> HTMLResponse:
    group = (await groups_service.get_group(session, group_id=group_id)).value
    effective, children = await groups_service.deletion_summary(session, group_id)
    return page(request, "delete.html", admin, group=group, effective=effective, children=children)


@router.post("/groups/{group_id}/delete")
async def delete_group(
    group_id: str, form: PostedForm, session: SessionDep, runtime: RuntimeDep, admin: Admin
) -> RedirectResponse:
    settings = runtime.settings
    error = await attempt(
        session,
        lambda: groups_service.delete_group(session, group_id=group_id, settings=settings),
    )
    if error:
        return back(f"/admin/groups/{group_id}", error=error)
    return back("/admin/groups", message="Group deleted.")


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
    report: CsvImportReport | None = None,
) -> HTMLResponse:
    """The members page: a page of members, users matching ``find``, a CSV report if any."""
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
    candidates = []
    if find:
        found = await users_service.list_users(
            session, query=find, order_by="name", direction="asc", page=1, page_size=20
        )
        candidates = [user for user in found.users if group_id not in user.group_ids]
    return page(
        request,
        "members.html",
        admin,
        group=group,
        listing=listing,
        membership=membership,
        query=query,
        find=find,
        candidates=candidates,
        page=page_number,
        pages=page_count(listing.total, PAGE_SIZE),
        report=report,
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
    )


async def _change_membership(
    session: AsyncSession, group_id: str, form: FormData, *, add: bool
) -> RedirectResponse:
    user_ids = forms.member_ids(form)
    change = memberships_service.add_members if add else memberships_service.remove_members
    error = await attempt(session, lambda: change(session, group_id=group_id, user_ids=user_ids))
    done = "Member added." if add else "Member removed."
    return back(f"/admin/groups/{group_id}/members", message=None if error else done, error=error)


@router.post("/groups/{group_id}/members/add")
async def add_member(
    group_id: str, form: PostedForm, session: SessionDep, admin: Admin
) -> RedirectResponse:
    return await _change_membership(session, group_id, form, add=True)


@router.post("/groups/{group_id}/members/remove")
async def remove_member(
    group_id: str, form: PostedForm, session: SessionDep, admin: Admin
) -> RedirectResponse:
    return await _change_membership(session, group_id, form, add=False)


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
    result: dict[str, Any] = {}

    async def work() -> None:
        result["report"] = await csv_members.import_members_csv(
            session, group_id=group_id, text=content
        )

    error = await attempt(session, work)
    if error:
        return back(f"/admin/groups/{group_id}/members", error=error)
    return await _members_view(
        request, admin, session, runtime.caches, group_id, report=result["report"]
    )
