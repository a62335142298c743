from __future__ import annotations

from fastapi import APIRouter

from opengroups import __version__

router = APIRouter(tags=["system"])


@router.get("/health")
async def health() -> dict[str, bool]:
    return {"status": True}


@router.get("/api/version")
async def version() -> dict[str, str]:
    return {"version": __version__}
