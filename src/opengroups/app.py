"""The ASGI application. Nothing connects at import: the lifespan builds the engine."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from opengroups import __version__, migrate
from opengroups.admin import web as admin_web
from opengroups.admin.groups_pages import router as admin_groups_router
from opengroups.admin.pages import router as admin_pages_router
from opengroups.audit import service as audit_service
from opengroups.audit.endpoints import router as audit_router
from opengroups.auths.cache import AuthCache
from opengroups.auths.endpoints import router as auths_router
from opengroups.auths.security import configure_password_hashing
from opengroups.authz import revision as revisions
from opengroups.authz.context import Authz
from opengroups.authz.endpoints import router as authz_router
from opengroups.config import Settings, get_settings
from opengroups.db import Database, open_database
from opengroups.errors import OpenGroupsError
from opengroups.grants.endpoints import router as grants_router
from opengroups.groups.endpoints import router as groups_router
from opengroups.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from opengroups.permissions import load_catalog
from opengroups.system.endpoints import router as system_router
from opengroups.transfer.endpoints import router as transfer_router
from opengroups.users.endpoints import router as users_router

# Bulk imports take bodies up to OPENGROUPS_MAX_IMPORT_BYTES; everything else the smaller limit.
IMPORT_PATHS = ("/api/v1/transfer/import",)


def prepare_settings(settings: Settings) -> Settings:
    """Settings with the data directory created and the secret key resolved once."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_password_hashing(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    return settings.model_copy(update={"secret_key": settings.resolved_secret_key()})


AUDIT_PRUNE_INTERVAL_SECONDS = 3600
logger = logging.getLogger("opengroups")


async def _every(
    seconds: float, work: Callable[[], Awaitable[None]], stop: asyncio.Event, *, first: float
) -> None:
    """Run ``work`` after ``first`` seconds and then every ``seconds`` until ``stop`` is set.
    A run in progress when the server stops is let finish rather than cancelled: cancelling a
    task inside a transaction can leave its connection (and SQLite's write lock) behind."""
    delay = first
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        if stop.is_set():
            return
        try:
            await work()
        except Exception:  # maintenance must not take the server down; it runs again later
            logger.exception("Background work %s failed", getattr(work, "__name__", work))
        delay = seconds


def _maintenance(database: Database, settings: Settings, stop: asyncio.Event) -> list[Any]:
    """The background work of a server process: the audit retention (at start-up, then
    hourly) and the reconciling of the revision hint (every second)."""

    async def prune_audit() -> None:
        async with database.session() as session:
            await audit_service.prune(session, retention_days=settings.audit_retention_days)

    async def reconcile_hint() -> None:
        await revisions.reconcile(database)

    tasks = [_every(AUDIT_PRUNE_INTERVAL_SECONDS, prune_audit, stop, first=0)]
    if database.revision_hint is not None:
        interval = revisions.RECONCILE_SECONDS
        tasks.append(_every(interval, reconcile_hint, stop, first=interval))
    return [asyncio.create_task(task) for task in tasks]


async def _handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OpenGroupsError)
    if request.url.path.startswith("/admin"):
        return admin_web.error_page(request, status=exc.status_code, detail=exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)


async def _handle_login_required(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, admin_web.LoginRequired)
    return admin_web.login_redirect(exc.next_path)


async def _handle_admin_only(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, admin_web.AdminOnly)
    return admin_web.error_page(request, status=403, detail=exc.message)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the database engine is created when the app starts.

    Raises ``CatalogError`` when the configured permission catalog cannot be used.
    """
    settings = prepare_settings(settings or get_settings())
    authz = Authz(
        catalog=load_catalog(settings.permission_catalog), admin_bypass=settings.admin_bypass
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = open_database(settings)
        if settings.migrate_on_start:
            await migrate.upgrade(database.engine)
        await revisions.align_hint(database)
        app.state.database = database
        stop = asyncio.Event()
        tasks = _maintenance(database, settings, stop)
        # Everything loaded so far (modules, mappers, compiled statements) lives as long as
        # the process: keep it out of the collector's full passes, each of which walked it
        # all and stalled requests by 50 ms and more (seen as the p99 of list routes).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await database.dispose()
            gc.unfreeze()

    app = FastAPI(
        title="opengroups",
        version=__version__,
        summary="User groups and what their members may do; Open WebUI-compatible API.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.authz = authz
    app.state.auth_cache = AuthCache()
    app.add_exception_handler(OpenGroupsError, _handle_domain_error)
    app.add_exception_handler(admin_web.LoginRequired, _handle_login_required)
    app.add_exception_handler(admin_web.AdminOnly, _handle_admin_only)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        large_paths=IMPORT_PATHS,
        large_max_bytes=settings.max_import_bytes,
    )
    for router in (
        system_router,
        auths_router,
        authz_router,
        users_router,
        groups_router,
        grants_router,
        transfer_router,
        audit_router,
        admin_groups_router,
        admin_pages_router,
    ):
        # The routes are added to the app's own list rather than with ``include_router``: an
        # included router is matched through a wrapper that costs tens of microseconds on
        # every request, and these routers carry nothing (prefix, tags) that their routes
        # do not already hold.
        app.router.routes.extend(router.routes)
    return app
