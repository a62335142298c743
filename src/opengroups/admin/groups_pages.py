"""Admin pages for groups: the tree, a group's settings and permissions, deleting one (its
members are in ``members_pages``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from opengroups.admin import forms
from opengroups.admin.forms import SHARE_CHOICES
from opengroups.admin.web import Admin, PostedForm, attempt, back, page
from opengroups.dependencies import MAX_PAGE, RuntimeDep, SessionDep
from opengroups.grants import preview
from opengroups.grants.preview import GroupExplanation
from opengroups.groups import service as groups_service
from opengroups.groups.hierarchy import TreeNode
from opengroups.kit.pagination import page_count
from opengroups.permissions import DEFAULT_SOURCE, Catalog
from opengroups.permissions.share import read_share

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


def permission_toggles(
    catalog: Catalog, explained: GroupExplanation, own: frozenset[str]
) -> dict[str, list[dict[str, Any]]]:
    """The group page's toggles by section: each key as its members have it (``on``) and why:
    by default, from the group itself (``own``, what its toggle saves) and from the groups
    above it (by name, nearest first). A key on from elsewhere only is shown on and locked:
    the group cannot turn it off, and setting it too would add nothing."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for key, item in explained.keys.items():
        section, _, leaf = key.rpartition(".")
        parents = [
            {"id": gid, "name": explained.names[gid]}
            for gid in item.sources
            if gid not in (DEFAULT_SOURCE, explained.group_id)
        ]
        sections.setdefault(section, []).append(
            {
                "key": key,
                "name": leaf,
                "description": catalog.description(key),
                "on": item.value,
                "own": key in own,
                "by_default": DEFAULT_SOURCE in item.sources,
                "parents": parents,
                "locked": item.value and key not in own,
            }
        )
    return sections


@router.get("/groups/{group_id}", response_class=HTMLResponse)
async def group_page(
    request: Request, group_id: str, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    group = (await groups_service.get_group(session, group_id=group_id)).value
    catalog = runtime.authz.catalog
    explained = await preview.explain_group(session, runtime.authz, group_id=group_id)
    sections = permission_toggles(catalog, explained, catalog.granted(group.permissions))
    keys = [item for items in sections.values() for item in items]
    return page(
        request,
        "group.html",
        admin,
        group=group,
        share=read_share(group.data),
        share_choices=SHARE_CHOICES,
        sections=sections,
        summary={
            "total": len(keys),
            "on": sum(item["on"] for item in keys),
            "by_default": sum(item["by_default"] for item in keys),
            "from_parents": sum(bool(item["parents"]) for item in keys),
            "own": sum(item["own"] for item in keys),
        },
        ancestors=[
            {"id": gid, "name": name} for gid, name in explained.names.items() if gid != group_id
        ],
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
