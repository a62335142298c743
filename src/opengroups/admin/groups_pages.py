"""Admin pages for groups: the tree, a group's settings and permissions, its members."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from opengroups.admin.web import Admin, AdminContext, PostedForm, attempt, back, page, text
from opengroups.authz import service as authz_service
from opengroups.dependencies import AuthzDep, SessionDep, SettingsDep
from opengroups.groups import repository as groups_repository
from opengroups.groups import service as groups_service
from opengroups.groups.schemas import GroupForm, GroupUpdateForm
from opengroups.groups.service import share_of
from opengroups.memberships import repository as memberships_repository
from opengroups.memberships import service as memberships_service
from opengroups.transfer import csv_members
from opengroups.transfer.schemas import CsvImportReport
from opengroups.users import service as users_service

router = APIRouter(prefix="/admin", include_in_schema=False)
PAGE_SIZE = 50
SHARE_CHOICES = [("true", "Anyone"), ("members", "Members only"), ("false", "No one")]


def _tree(outline: list[tuple[str, str, str | None]]) -> list[tuple[str, str, int]]:
    """``(id, name, depth)`` in tree order: each group followed by its children, by name."""
    ids = {group_id for group_id, _, _ in outline}
    children: dict[str | None, list[tuple[str, str]]] = {}
    for group_id, name, parent in outline:
        children.setdefault(parent if parent in ids else None, []).append((group_id, name))
    ordered: list[tuple[str, str, int]] = []
    stack = [(group_id, name, 0) for group_id, name in reversed(children.get(None, []))]
    while stack:
        group_id, name, depth = stack.pop()
        ordered.append((group_id, name, depth))
        stack += [(cid, cname, depth + 1) for cid, cname in reversed(children.get(group_id, []))]
    return ordered


def _share_value(choice: str) -> bool | str:
    return "members" if choice == "members" else choice == "true"


@router.get("/groups", response_class=HTMLResponse)
async def groups_page(
    request: Request,
    admin: Admin,
    session: SessionDep,
    query: Annotated[str, Query(max_length=255)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> HTMLResponse:
    outline = await groups_repository.outline(session)
    rows = _tree(outline)
    if query:
        rows = [row for row in rows if query.casefold() in row[1].casefold()]
    total = len(rows)
    shown = rows[(page_number - 1) * PAGE_SIZE : page_number * PAGE_SIZE]
    counts = await groups_repository.member_counts(session, [row[0] for row in shown])
    children = {parent for _, _, parent in outline if parent}
    return page(
        request,
        "groups.html",
        admin,
        rows=[
            {
                "id": gid,
                "name": name,
                "depth": depth,
                "members": counts.get(gid, 0),
                "has_children": gid in children,
            }
            for gid, name, depth in shown
        ],
        query=query,
        page=page_number,
        pages=max(1, -(-total // PAGE_SIZE)),
        total=total,
        parents=_tree(outline),
        share_choices=SHARE_CHOICES,
    )


@router.post("/groups/create")
async def create_group(
    form: PostedForm, admin: Admin, session: SessionDep, authz: AuthzDep, settings: SettingsDep
) -> RedirectResponse:
    created: dict[str, Any] = {}

    async def work() -> None:
        group_form = GroupForm.model_validate(
            {
                "name": text(form, "name"),
                "description": text(form, "description"),
                "parent_group_id": text(form, "parent_group_id") or None,
                "data": {"config": {"share": _share_value(text(form, "share") or "true")}},
            }
        )
        response = await groups_service.create_group(
            session, authz, actor=admin.user, form=group_form, settings=settings
        )
        created["id"] = response.id

    error = await attempt(session, work)
    if error:
        return back("/admin/groups", error=error)
    return back(f"/admin/groups/{created['id']}", message="Group created.")


@router.get("/groups/{group_id}", response_class=HTMLResponse)
async def group_page(
    request: Request,
    group_id: str,
    admin: Admin,
    session: SessionDep,
    authz: AuthzDep,
    settings: SettingsDep,
) -> HTMLResponse:
    group = await groups_service.get_group(session, group_id=group_id)
    stored = await groups_repository.get_group(session, group_id)
    assert stored is not None
    defaults = await authz_service.default_values(session, authz)
    granted = authz.catalog.granted(group.permissions)
    sections: dict[str, list[dict[str, Any]]] = {}
    for key in authz.catalog.defaults:
        section, _, leaf = key.rpartition(".")
        sections.setdefault(section, []).append(
            {"key": key, "name": leaf, "on": key in granted, "default_on": defaults[key]}
        )
    outline = await groups_repository.outline(session)
    below = set(await groups_repository.descendant_levels(session, group_id))
    return page(
        request,
        "group.html",
        admin,
        group=group,
        share=share_of(stored, settings),
        share_choices=SHARE_CHOICES,
        sections=sections,
        parents=[row for row in _tree(outline) if row[0] not in below],
    )


@router.post("/groups/{group_id}/edit")
async def edit_group(
    group_id: str,
    form: PostedForm,
    session: SessionDep,
    authz: AuthzDep,
    settings: SettingsDep,
    admin: Admin,
) -> RedirectResponse:
    async def work() -> None:
        update = GroupUpdateForm.model_validate(
            {
                "name": text(form, "name"),
                "description": text(form, "description"),
                "parent_group_id": text(form, "parent_group_id") or None,
                "data": {"config": {"share": _share_value(text(form, "share") or "true")}},
            }
        )
        await groups_service.update_group(
            session, authz, group_id=group_id, form=update, settings=settings
        )

    error = await attempt(session, work)
    return back(f"/admin/groups/{group_id}", message=None if error else "Saved.", error=error)


@router.post("/groups/{group_id}/permissions")
async def set_group_permissions(
    group_id: str,
    form: PostedForm,
    session: SessionDep,
    authz: AuthzDep,
    settings: SettingsDep,
    admin: Admin,
) -> RedirectResponse:
    tree = authz.catalog.sparse(
        key for key in authz.catalog.defaults if form.get(f"perm:{key}") == "on"
    )

    async def work() -> None:
        update = GroupUpdateForm.model_validate({"permissions": tree})
        await groups_service.update_group(
            session, authz, group_id=group_id, form=update, settings=settings
        )

    error = await attempt(session, work)
    message = None if error else "Permissions saved."
    return back(f"/admin/groups/{group_id}", message=message, error=error)


@router.get("/groups/{group_id}/delete", response_class=HTMLResponse)
async def confirm_delete(
    request: Request, group_id: str, admin: Admin, session: SessionDep
) -> HTMLResponse:
    group = await groups_service.get_group(session, group_id=group_id)
    effective = await memberships_repository.effective_member_ids(session, group_id)
    children = await groups_repository.child_ids(session, group_id)
    return page(
        request,
        "delete.html",
        admin,
        group=group,
        effective=len(effective),
        children=len(children),
    )


@router.post("/groups/{group_id}/delete")
async def delete_group(
    group_id: str, form: PostedForm, session: SessionDep, settings: SettingsDep, admin: Admin
) -> RedirectResponse:
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
    group_id: str,
    *,
    membership: str = "effective",
    query: str = "",
    page_number: int = 1,
    find: str = "",
    report: CsvImportReport | None = None,
) -> HTMLResponse:
    """The members page: a page of members, users matching ``find``, a CSV report if any."""
    group = await groups_service.get_group(session, group_id=group_id)
    listing = await memberships_service.list_members(
        session,
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
        pages=max(1, -(-listing.total // PAGE_SIZE)),
        report=report,
    )


@router.get("/groups/{group_id}/members", response_class=HTMLResponse)
async def members_page(
    request: Request,
    group_id: str,
    admin: Admin,
    session: SessionDep,
    membership: Annotated[str, Query(pattern="^(direct|inherited|effective)$")] = "effective",
    query: Annotated[str, Query(max_length=255)] = "",
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
    find: Annotated[str, Query(max_length=255)] = "",
) -> HTMLResponse:
    return await _members_view(
        request,
        admin,
        session,
        group_id,
        membership=membership,
        query=query,
        page_number=page_number,
        find=find,
    )


async def _change_membership(
    session: AsyncSession, group_id: str, form: FormData, *, add: bool
) -> RedirectResponse:
    user_ids = [text(form, "user_id")]
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
    request: Request, group_id: str, form: PostedForm, session: SessionDep, admin: Admin
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
    return await _members_view(request, admin, session, group_id, report=result["report"])
