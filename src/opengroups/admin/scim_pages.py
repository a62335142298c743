"""Admin pages for provisioning: SCIM clients (create one, its token shown once; revoke one)
and the identity providers' state."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from opengroups.admin.forms import text
from opengroups.admin.web import Admin, PostedForm, attempt, back, page
from opengroups.dependencies import RuntimeDep, SessionDep
from opengroups.identity import status
from opengroups.scim import clients
from opengroups.scim.schemas import ScimClientCreated, ScimClientForm

router = APIRouter(include_in_schema=False)


@router.get("/scim", response_class=HTMLResponse)
async def scim_page(request: Request, admin: Admin, session: SessionDep) -> HTMLResponse:
    found = await clients.list_clients(session)
    return page(request, "scim.html", admin, clients=found, created=None)


@router.post("/scim", response_model=None)
async def create_scim_client(
    request: Request, form: PostedForm, admin: Admin, session: SessionDep
) -> HTMLResponse | RedirectResponse:
    """The new token is shown in this answer only (never put in a redirect's address)."""
    try:
        valid = ScimClientForm(name=text(form, "name"))
    except ValidationError:
        return back("/admin/scim", error="Give the client a name.")
    created: list[ScimClientCreated] = []

    async def work() -> None:
        created.append(
            await clients.create_client(session, name=valid.name, created_by=admin.user.id)
        )

    error = await attempt(session, work)
    if error or not created:
        return back("/admin/scim", error=error or "The client was not created.")
    found = await clients.list_clients(session)
    return page(request, "scim.html", admin, clients=found, created=created[0])


@router.post("/scim/{client_id}/revoke")
async def revoke_scim_client(
    client_id: str, form: PostedForm, admin: Admin, session: SessionDep
) -> RedirectResponse:
    del form, admin  # checked: a signed-in admin's form with its CSRF token
    error = await attempt(session, lambda: clients.revoke_client(session, client_id=client_id))
    return back("/admin/scim", message=None if error else "Client revoked.", error=error)


@router.get("/identity", response_class=HTMLResponse)
async def identity_page(
    request: Request, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    providers = await status.provider_status(session, runtime.identity)
    return page(request, "identity.html", admin, providers=providers)
