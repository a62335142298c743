"""The web admin page: a sub-application mounted at ``/admin``, with its own error pages.

It calls the same services as the API, with the same runtime (settings, caches), so a change
made here is checked and recorded exactly as the same change through the API.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from opengroups.admin import groups_pages, owui_pages, pages, scim_pages
from opengroups.admin.web import (
    AdminOnly,
    LoginRequired,
    SameOriginMiddleware,
    error_page,
    login_redirect,
)
from opengroups.bootstrap import Runtime
from opengroups.errors import OpenGroupsError
from opengroups.kit.faults import DATABASE_FAULTS, unavailable


async def _handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OpenGroupsError)
    response = error_page(request, status=exc.status_code, detail=exc.message)
    response.headers.update(exc.headers or {})
    return response


async def _handle_database_fault(request: Request, exc: Exception) -> Response:
    fault = unavailable(exc)
    if fault is None:
        raise exc
    response = error_page(request, status=503, detail=fault.message)
    response.headers["Retry-After"] = str(fault.retry_after)
    return response


async def _handle_login_required(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return login_redirect(exc.next_path)


async def _handle_admin_only(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminOnly)
    return error_page(request, status=403, detail=exc.message)


def create_admin_app(runtime: Runtime) -> FastAPI:
    """The admin page's application, sharing ``runtime`` with the API it is mounted in."""
    admin = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    admin.state.runtime = runtime
    admin.add_exception_handler(OpenGroupsError, _handle_domain_error)
    for fault in DATABASE_FAULTS:
        admin.add_exception_handler(fault, _handle_database_fault)
    admin.add_exception_handler(LoginRequired, _handle_login_required)
    admin.add_exception_handler(AdminOnly, _handle_admin_only)
    admin.add_middleware(SameOriginMiddleware)
    for router in (groups_pages.router, pages.router, scim_pages.router, owui_pages.router):
        admin.router.routes.extend(router.routes)
    return admin
