from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from opengroups import __version__
from opengroups.dependencies import DatabaseDep
from opengroups.kit.faults import unavailable

router = APIRouter(tags=["system"])


@router.get("/health")
async def health() -> dict[str, bool]:
    """Liveness: the process answers (whatever the database does)."""
    return {"status": True}


@router.get("/ready", responses={503: {"description": "The database cannot be used now."}})
async def ready(database: DatabaseDep) -> JSONResponse:
    """Readiness: the database answers a query. 503 with ``Retry-After`` when it does not."""
    try:
        async with database.session(write=False) as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:
        fault = unavailable(error)
        if fault is None:
            raise
        return JSONResponse(
            {"status": False, "database": False, "detail": fault.message},
            status_code=503,
            headers={"Retry-After": str(fault.retry_after)},
        )
    return JSONResponse({"status": True, "database": True})


@router.get("/api/version")
async def version() -> dict[str, str]:
    """The running version of opengroups (no credentials needed)."""
    return {"version": __version__}
