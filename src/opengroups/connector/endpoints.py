"""``/api/v1/owui/targets``: the Open WebUI instances whose groups opengroups runs (admins only).

Plan and apply read opengroups in a short transaction, talk to the target with no transaction
open, and record an apply's outcome in a transaction of its own, as the CLI does; an apply the
target stopped half-way is still recorded, and answered 502 with its report.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from opengroups.connector import service
from opengroups.connector.plan import Plan
from opengroups.connector.schemas import (
    AdoptForm,
    ApplyResult,
    TargetForm,
    TargetResponse,
    TargetUpdateForm,
)
from opengroups.dependencies import (
    ActorDep,
    AdminOutsideTransaction,
    AdminUser,
    DatabaseDep,
    RuntimeDep,
    SessionDep,
)
from opengroups.models import now_epoch
from opengroups.openapi import refusals

router = APIRouter(prefix="/api/v1/owui/targets", tags=["owui"])


class PlannedAction(BaseModel):
    kind: str
    group: str
    detail: str


class PlannedDrift(BaseModel):
    group: str
    fields: list[str]
    extra_members: list[str]
    lacking_members: list[str]


class PlanResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "actions": [
                        {"kind": "create", "group": "chat-research", "detail": ""},
                        {
                            "kind": "add_members",
                            "group": "chat-research",
                            "detail": "bea@example.com",
                        },
                    ],
                    "drift": [],
                    "missing_users": ["carl@example.com"],
                    "conflicts": [],
                    "not_adoptable": [],
                    "counts": {"create": 1, "add_members": 1, "add_members.users": 1},
                }
            ]
        }
    )

    actions: list[PlannedAction]
    drift: list[PlannedDrift]
    missing_users: list[str]
    conflicts: list[str]
    not_adoptable: list[str]
    counts: dict[str, int]


def _plan(plan: Plan) -> PlanResponse:
    return PlanResponse(
        actions=[
            PlannedAction(kind=a.kind, group=a.group, detail=a.describe()) for a in plan.actions
        ],
        drift=[
            PlannedDrift(
                group=d.group,
                fields=list(d.fields),
                extra_members=list(d.extra_members),
                lacking_members=list(d.lacking_members),
            )
            for d in plan.drift
        ],
        missing_users=list(plan.missing_users),
        conflicts=list(plan.conflicts),
        not_adoptable=list(plan.not_adoptable),
        counts=plan.counts(),
    )


@router.get("", response_model=list[TargetResponse])
async def list_targets(session: SessionDep, _admin: AdminUser) -> list[TargetResponse]:
    """Every target (never its API key)."""
    return await service.list_targets(session)


@router.post("", response_model=TargetResponse, responses=refusals(409))
async def create_target(
    form: TargetForm, session: SessionDep, runtime: RuntimeDep, _admin: AdminUser
) -> TargetResponse:
    """Register a target: its admin API key is stored encrypted and never shown again."""
    return await service.create_target(session, form=form, settings=runtime.settings)


@router.post("/{name}/update", response_model=TargetResponse, responses=refusals(404))
async def update_target(
    name: str,
    form: TargetUpdateForm,
    session: SessionDep,
    runtime: RuntimeDep,
    _admin: AdminUser,
) -> TargetResponse:
    """Change the target's address, API key, reconcile interval (null: by hand only) or the
    creation of missing users; only the fields given."""
    return await service.update_target(session, name=name, form=form, settings=runtime.settings)


@router.delete("/{name}", response_model=bool, responses=refusals(404))
async def delete_target(name: str, session: SessionDep, _admin: AdminUser) -> bool:
    """Forget a target (its groups stay as they are on it)."""
    await service.delete_target(session, name=name)
    return True


@router.post("/{name}/plan", response_model=PlanResponse, responses=refusals(404, 409, 502))
async def plan_target(
    name: str,
    form: AdoptForm,
    database: DatabaseDep,
    runtime: RuntimeDep,
    _admin: AdminOutsideTransaction,
) -> PlanResponse:
    """What an apply would change on the target, its drift and the users it lacks; writes
    nothing."""
    prepared = await service.read_prepared(
        database, runtime.authz, settings=runtime.settings, name=name
    )
    return _plan(await service.run_plan(prepared, adopt=form.adopt))


@router.post(
    "/{name}/apply",
    response_model=ApplyResult,
    responses={
        **refusals(404, 409),
        502: {"model": ApplyResult, "description": "The target failed: what was done."},
    },
)
async def apply_target(
    name: str,
    form: AdoptForm,
    database: DatabaseDep,
    runtime: RuntimeDep,
    actor: ActorDep,
    admin: AdminOutsideTransaction,
) -> Response:
    """Apply the plan; the report of what was done (502 with it when the target failed)."""
    prepared = await service.read_prepared(
        database, runtime.authz, settings=runtime.settings, name=name
    )
    report = await service.apply_and_record(
        database,
        prepared,
        actor={"user_id": admin.id, "address": actor.address, "request_id": actor.request_id},
        adopt=form.adopt,
    )
    body = ApplyResult.model_validate(report.result(at=now_epoch()))
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if report.ok else 502)
