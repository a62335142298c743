"""The ASGI application. Nothing connects at import: the lifespan opens the database."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.routing import Match
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from opengroups import __version__, bootstrap, openapi
from opengroups.admin.app import create_admin_app
from opengroups.audit import service as audit_service
from opengroups.audit.endpoints import router as audit_router
from opengroups.auths import throttle
from opengroups.auths.endpoints import router as auths_router
from opengroups.authz.endpoints import router as authz_router
from opengroups.bootstrap import Runtime
from opengroups.caching import revision as revisions
from opengroups.config import Settings
from opengroups.connector import reconcile as owui_reconcile
from opengroups.connector.endpoints import router as owui_router
from opengroups.errors import OpenGroupsError
from opengroups.grants.endpoints import router as grants_router
from opengroups.grants.endpoints import users_router as grants_users_router
from opengroups.groups.endpoints import router as groups_router
from opengroups.identity.endpoints import router as header_router
from opengroups.identity.endpoints import users_router as identity_users_router
from opengroups.identity.ldap import sync as ldap_sync
from opengroups.identity.ldap.endpoints import router as ldap_router
from opengroups.identity.oidc.endpoints import router as oidc_router
from opengroups.kit.background import every
from opengroups.kit.db import Database
from opengroups.kit.faults import DATABASE_FAULTS, unavailable
from opengroups.kit.middleware import (
    ADMIN_POLICY,
    DOCS_POLICY,
    BodySizeLimitMiddleware,
    PeerMiddleware,
    RequestIdMiddleware,
    SecurityHeadersMiddleware,
    UnstorableTextMiddleware,
)
from opengroups.scim.endpoints import MOUNTS as SCIM_MOUNTS
from opengroups.scim.endpoints import create_scim_app
from opengroups.scim.endpoints import router as scim_clients_router
from opengroups.system import metrics
from opengroups.system.endpoints import router as system_router
from opengroups.transfer.endpoints import router as transfer_router
from opengroups.users.endpoints import router as users_router

# Bulk imports take bodies up to OPENGROUPS_MAX_IMPORT_BYTES; everything else the smaller limit.
IMPORT_PATHS = ("/api/v1/transfer/import",)
MAINTENANCE_INTERVAL_SECONDS = 3600


def _maintenance(
    database: Database, runtime: Runtime, stop: asyncio.Event
) -> list[Coroutine[Any, Any, None]]:
    """The background work of a server process: the audit retention and the pruning of the
    cache revision's log and of old failed sign-ins (at start-up, then hourly), the
    reconciling of the revision hint (every second), the LDAP directory's full sync when
    one is scheduled (``sync_interval_seconds``), and the Open WebUI targets' reconcile loop
    (``connector/reconcile.py``)."""
    settings = runtime.settings

    async def prune() -> None:
        async with database.session(background=True) as session:
            await audit_service.prune(session, retention_days=settings.audit_retention_days)
            await revisions.prune_log(session)
            await throttle.prune(session, throttle.Limits.of(settings))

    async def reconcile_hint() -> None:
        await revisions.reconcile(database)

    work: list[tuple[float, Callable[[], Awaitable[None]], float]] = [
        (MAINTENANCE_INTERVAL_SECONDS, prune, 0)
    ]
    if database.revision_hint is not None:
        interval = revisions.RECONCILE_SECONDS
        work.append((interval, reconcile_hint, interval))
    tick = settings.owui_reconcile_tick_seconds
    if tick > 0:

        async def reconcile_targets() -> None:
            await owui_reconcile.tick(database, runtime.authz, settings)

        work.append((tick, reconcile_targets, tick))
    directory_interval = ldap_sync.interval_seconds(runtime.identity)
    if directory_interval is not None:
        work.append((directory_interval, partial(ldap_sync.periodic, runtime), directory_interval))
    return [every(seconds, task, stop, first=first) for seconds, task, first in work]


async def _handle_domain_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OpenGroupsError)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)


async def _handle_database_fault(_request: Request, exc: Exception) -> Response:
    """503 with ``Retry-After`` for a database fault (``kit.faults``); anything else is a bug
    and stays a 500."""
    fault = unavailable(exc)
    if fault is None:
        raise exc
    return JSONResponse(
        {"detail": fault.message},
        status_code=503,
        headers={"Retry-After": str(fault.retry_after)},
    )


async def _handle_method_not_allowed(request: Request, _exc: Exception) -> Response:
    """405 with ``Allow`` naming every method of the path's resource. Starlette names only
    those of the first route whose path matched, and several routes share a path (``GET`` and
    ``POST /auths/admin/config``). Of the templates that match, the most specific is the
    resource (``/users/groups``, not ``/users/{user_id}``)."""
    templates: dict[int, set[str]] = {}
    for route in request.app.routes:
        if isinstance(route, APIRoute) and route.matches(request.scope)[0] is not Match.NONE:
            templates.setdefault(len(route.param_convertors), set()).update(route.methods or ())
    methods = templates[min(templates)] if templates else set()
    return JSONResponse(
        {"detail": f"{request.method} is not allowed here."},
        status_code=405,
        headers={"Allow": ", ".join(sorted(methods))},
    )


async def _admin_home() -> RedirectResponse:
    """``/`` and ``/admin``: an operator who opens the server's address wants the admin page
    (signed out, its sign-in); API clients never ask for ``/`` (docs/admin.md)."""
    return RedirectResponse("/admin/groups", status_code=303)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the database is opened when the app starts.

    Raises ``CatalogError`` when the configured permission catalog cannot be used.
    """
    runtime = bootstrap.build_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = await bootstrap.start(runtime)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(task) for task in _maintenance(database, runtime, stop)]
        # Everything loaded so far (modules, mappers, compiled statements) lives as long as
        # the process: keep it out of the collector's full passes (docs/performance.md).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bootstrap.stop(runtime)
            gc.unfreeze()

    app = FastAPI(
        title="opengroups",
        version=__version__,
        summary="User groups and what their members may do; Open WebUI-compatible API.",
        lifespan=lifespan,
        # /docs and /redoc are served by ``openapi.install``, from the package (no CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = runtime
    openapi.install(app, runtime.settings, runtime.authz.catalog)
    app.add_exception_handler(OpenGroupsError, _handle_domain_error)
    app.add_exception_handler(405, _handle_method_not_allowed)
    for fault in DATABASE_FAULTS:
        app.add_exception_handler(fault, _handle_database_fault)
    app.add_middleware(UnstorableTextMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=runtime.settings.max_body_bytes,
        large_paths=IMPORT_PATHS,
        large_max_bytes=runtime.settings.max_import_bytes,
    )
    # Outside the refusals above and around the routes' errors: every answer, a 413 or the
    # 500 of a bug included, carries the request id and gets one access log line.
    app.add_middleware(RequestIdMiddleware)
    # So that every answer carries them, the middlewares' own refusals included.
    app.add_middleware(
        SecurityHeadersMiddleware,
        policies=(
            ("/admin", ADMIN_POLICY),
            ("/docs", DOCS_POLICY),
            ("/redoc", DOCS_POLICY),
        ),
    )
    # Forwarded headers only from the proxies the operator names: from anyone else they would
    # let a client choose the address it is throttled and audited under. Applied here rather
    # than by uvicorn so that the connection's own address is kept first (``PeerMiddleware``).
    if runtime.settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=runtime.settings.trusted_proxies)
    app.add_middleware(PeerMiddleware)
    metrics.install(app, runtime)  # the outermost middleware: it counts the others' refusals
    for router in (
        system_router,
        auths_router,
        authz_router,
        users_router,
        groups_router,
        grants_router,
        grants_users_router,
        transfer_router,
        audit_router,
        scim_clients_router,
        oidc_router,
        header_router,
        identity_users_router,
        ldap_router,
        owui_router,
    ):
        # The routes are added to the app's own list rather than with ``include_router``: an
        # included router is matched through a wrapper that costs on every request
        # (docs/performance.md), and these routers carry nothing (prefix, tags) that their
        # routes do not already hold.
        app.router.routes.extend(router.routes)
    app.add_api_route("/", _admin_home, include_in_schema=False)
    app.add_api_route("/admin", _admin_home, include_in_schema=False)
    app.mount("/admin", create_admin_app(runtime))
    scim_app = create_scim_app(runtime)
    for path in SCIM_MOUNTS:
        app.mount(path, scim_app)
    return app


def runtime_of(app: FastAPI) -> Runtime:
    """The runtime an app was built with (for tests and tools)."""
    runtime: Runtime = app.state.runtime
    return runtime
