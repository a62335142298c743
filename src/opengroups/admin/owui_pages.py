"""Admin pages for the connector: the Open WebUI targets, registering one, and a target's
settings, plan, apply and removal.

Plan and apply talk to the target, which can take long. Their handlers therefore hold no
request transaction (``AdminOutsideTransaction``): as the API does, they read opengroups in a
short read-only transaction, talk to the target with none open, and record an apply in a
write transaction of its own, so that SQLite's write lock is never held while the target
answers.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from opengroups.admin import forms
from opengroups.admin.web import (
    Admin,
    AdminContext,
    AdminOutsideTransaction,
    PostedForm,
    PostedFormOutsideTransaction,
    attempt,
    back,
    first_problem,
    page,
)
from opengroups.connector import service
from opengroups.connector.client import TargetUnavailable
from opengroups.connector.keys import KeyUnreadable
from opengroups.dependencies import ActorDep, DatabaseDep, RuntimeDep, SessionDep
from opengroups.kit.db import Database

# Paths are relative to the admin application's mount point, ``/admin``.
router = APIRouter(include_in_schema=False)


def _target_path(name: str) -> str:
    return f"/admin/owui/{quote(name, safe='')}"


@router.get("/owui", response_class=HTMLResponse)
async def targets_page(request: Request, admin: Admin, session: SessionDep) -> HTMLResponse:
    targets = await service.list_targets(session)
    return page(request, "owui.html", admin, targets=targets)


@router.post("/owui")
async def register_target(
    form: PostedForm, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    """Register a target; a refusal (bad input, a name taken) writes nothing. The API key is
    never put in an answer or a redirect's address."""
    created: list[str] = []

    async def work() -> None:
        target = await service.create_target(
            session, form=forms.target_form(form), settings=runtime.settings
        )
        created.append(target.name)

    error = await attempt(session, work)
    if error or not created:
        return back("/admin/owui", error=error or "The target was not registered.")
    return back(_target_path(created[0]), message="Target registered.")


async def _target_view(
    request: Request,
    admin: AdminContext,
    session: AsyncSession,
    name: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The target's page, with what a plan or an apply found. Raises ``TargetNotFound``."""
    target = await service.get_target(session, name=name)
    return page(
        request,
        "owui_target.html",
        admin,
        target=target,
        status_code=status_code,
        **{"adopt": [], "plan": None, "report": None, "failure": None, **context},
    )


async def _after_target(
    request: Request,
    admin: AdminContext,
    database: Database,
    name: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The target's page once the target answered, read in a transaction of its own."""
    async with database.session(write=False) as session:
        return await _target_view(request, admin, session, name, status_code=status_code, **context)


@router.get("/owui/{name}", response_class=HTMLResponse)
async def target_page(
    request: Request, name: str, admin: Admin, session: SessionDep
) -> HTMLResponse:
    return await _target_view(request, admin, session, name)


@router.post("/owui/{name}/settings")
async def change_target_settings(
    name: str, form: PostedForm, admin: Admin, session: SessionDep, runtime: RuntimeDep
) -> RedirectResponse:
    """Change the target's address, API key (a blank one keeps the stored key), reconcile
    interval and creation of missing users; a refusal (bad input, a target gone) writes
    nothing. The API key is never put in an answer or a redirect's address."""
    replaced: list[bool] = []

    async def work() -> None:
        settings = forms.target_settings_form(form)
        await service.update_target(session, name=name, form=settings, settings=runtime.settings)
        replaced.append(settings.api_key is not None)

    error = await attempt(session, work)
    if error or not replaced:
        return back(_target_path(name), error=error or "The settings were not changed.")
    message = "Settings saved; the API key was replaced." if replaced[0] else "Settings saved."
    return back(_target_path(name), message=message)


@router.post("/owui/{name}/plan", response_model=None)
async def plan_target(
    request: Request,
    name: str,
    form: PostedFormOutsideTransaction,
    admin: AdminOutsideTransaction,
    database: DatabaseDep,
    runtime: RuntimeDep,
) -> HTMLResponse | RedirectResponse:
    """What an apply would change; writes nothing. A target that fails is shown (502)."""
    try:
        adopt = forms.adopt_form(form).adopt
    except ValidationError as exc:
        return back(_target_path(name), error=first_problem(exc))
    try:
        prepared = await service.read_prepared(
            database, runtime.authz, settings=runtime.settings, name=name
        )
        plan = await service.run_plan(prepared, adopt=adopt)
    except (KeyUnreadable, TargetUnavailable) as exc:
        return await _after_target(
            request,
            admin,
            database,
            name,
            status_code=exc.status_code,
            adopt=adopt,
            failure=exc.message,
        )
    return await _after_target(request, admin, database, name, adopt=adopt, plan=plan)


@router.post("/owui/{name}/apply", response_model=None)
async def apply_target(
    request: Request,
    name: str,
    form: PostedFormOutsideTransaction,
    admin: AdminOutsideTransaction,
    database: DatabaseDep,
    runtime: RuntimeDep,
    actor: ActorDep,
) -> HTMLResponse | RedirectResponse:
    """Apply, record the outcome (a failed one too), and show the report (502 when the target
    failed)."""
    try:
        adopt = forms.adopt_form(form).adopt
    except ValidationError as exc:
        return back(_target_path(name), error=first_problem(exc))
    try:
        prepared = await service.read_prepared(
            database, runtime.authz, settings=runtime.settings, name=name
        )
    except KeyUnreadable as exc:
        return await _after_target(
            request, admin, database, name, status_code=exc.status_code, failure=exc.message
        )
    report = await service.apply_and_record(
        database,
        prepared,
        actor={
            "user_id": admin.user.id,
            "address": actor.address,
            "request_id": actor.request_id,
        },
        adopt=adopt,
    )
    return await _after_target(
        request,
        admin,
        database,
        name,
        status_code=200 if report.ok else TargetUnavailable.status_code,
        adopt=adopt,
        report=report,
        failure=report.error,
    )


@router.get("/owui/{name}/forget", response_class=HTMLResponse)
async def confirm_forget(
    request: Request, name: str, admin: Admin, session: SessionDep
) -> HTMLResponse:
    target = await service.get_target(session, name=name)
    return page(request, "owui_forget.html", admin, target=target)


@router.post("/owui/{name}/forget")
async def forget_target(
    name: str, form: PostedForm, admin: Admin, session: SessionDep
) -> RedirectResponse:
    """Forget the target; its groups stay on it as they are."""
    error = await attempt(session, lambda: service.delete_target(session, name=name))
    if error:
        return back("/admin/owui", error=error)
    return back("/admin/owui", message=f"Target “{name}” forgotten.")
