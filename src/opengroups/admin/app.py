"""The web admin page: a sub-application mounted at ``/admin``, with its own error pages.

It calls the same services as the API, with the same runtime (settings, caches), so a change
made here is checked and recorded exactly as the same change through the API.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from opengroups.admin import (
    groups_pages,
    members_pages,
    owui_pages,
    pages,
    scim_pages,
    users_pages,
)
from opengroups.admin.web import (
    AdminOnly,
    LoginRequired,
    SameOriginMiddleware,
    admin_if_signed_in,
    error_page,
    login_redirect,
)
from opengroups.bootstrap import Runtime
from opengroups.errors import OpenGroupsError
from opengroups.kit.faults import DATABASE_FAULTS, unavailable


async def _handle_domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OpenGroupsError)
    admin = await admin_if_signed_in(request)
    response = error_page(request, status=exc.status_code, detail=exc.message, admin=admin)
    response.headers.update(exc.headers or {})
    return response


async def _handle_http_error(request: Request, exc: Exception) -> Response:
    """No such page (404), or not with that method (405): a page, not the API's JSON."""
    assert isinstance(exc, HTTPException)
    detail = {
        404: f"There is no page at {request.url.path}.",
        405: f"{request.url.path} cannot be opened that way ({request.method}).",
    }.get(exc.status_code, str(exc.detail))
    admin = await admin_if_signed_in(request)
    response = error_page(request, status=exc.status_code, detail=detail, admin=admin)
    response.headers.update(exc.headers or {})
    return response


async def _handle_invalid_request(request: Request, exc: Exception) -> Response:
    """A value of the address or of a form out of its bounds (``?page=0``): 422, as a page."""
    assert isinstance(exc, RequestValidationError)
    problem = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
    field = ".".join(str(part) for part in problem["loc"][1:]) or "request"
    detail = f"{field}: {problem['msg']}"
    return error_page(request, status=422, detail=detail, admin=await admin_if_signed_in(request))


async def _handle_bug(request: Request, exc: Exception) -> Response:
    """Anything else is a bug: a page saying so (the server still logs the exception)."""
    return error_page(
        request,
        status=500,
        detail="The server failed to answer this page; the error is in its log.",
        admin=await admin_if_signed_in(request),
    )


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
    admin.add_exception_handler(HTTPException, _handle_http_error)
    admin.add_exception_handler(RequestValidationError, _handle_invalid_request)
    admin.add_exception_handler(Exception, _handle_bug)
    admin.add_middleware(SameOriginMiddleware)
    routers = (
        groups_pages.router,
        members_pages.router,
        users_pages.router,
        pages.router,
        scim_pages.router,
        owui_pages.router,
    )
    for router in routers:
        admin.router.routes.extend(router.routes)
    return admin
