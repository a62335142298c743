"""Shared pieces of the admin page: who is signed in, CSRF checks, templates, redirects and
their flash messages (``admin/flash.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from opengroups.admin import flash as flashes
from opengroups.admin import session as cookies
from opengroups.audit import recorder
from opengroups.bootstrap import Runtime
from opengroups.dependencies import RuntimeDep, SessionDep
from opengroups.errors import OpenGroupsError
from opengroups.kit.faults import DATABASE_FAULTS
from opengroups.models import User
from opengroups.users import cache as users_cache

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["timestamp"] = lambda seconds: datetime.fromtimestamp(seconds, UTC).strftime(
    "%Y-%m-%d %H:%M:%S"
)


class LoginRequired(Exception):
    """No valid admin session: the page redirects to the sign-in form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class AdminOnly(Exception):
    """Signed in, but not an admin (or a form without a valid CSRF token): 403."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class AdminContext:
    user: User
    token: str
    csrf: str


async def _signed_in_admin(
    request: Request, session: AsyncSession, runtime: Runtime
) -> AdminContext:
    """The admin the session cookie names. Raises ``LoginRequired``, ``AdminOnly``."""
    secret = runtime.settings.resolved_secret_key()
    token = request.cookies.get(cookies.COOKIE)
    signed = cookies.session_of(token, secret=secret)
    user = await users_cache.cached_user(session, runtime.caches, signed[0]) if signed else None
    if user is None or token is None or signed is None or user.token_version != signed[1]:
        raise LoginRequired(request.url.path)  # none, expired, or ended by a sign-out
    if user.role != "admin":
        raise AdminOnly("Only administrators may use this page.")
    return AdminContext(user=user, token=token, csrf=cookies.csrf_token(token, secret=secret))


async def admin_context(request: Request, session: SessionDep, runtime: RuntimeDep) -> AdminContext:
    """The signed-in admin, read like any API caller (through the caches)."""
    admin = await _signed_in_admin(request, session, runtime)
    recorder.set_actor(session, user_id=admin.user.id)
    return admin


Admin = Annotated[AdminContext, Depends(admin_context)]


async def admin_if_signed_in(request: Request) -> AdminContext | None:
    """The signed-in admin, for pages no route dependency ran for (an error page), read in a
    read-only transaction of its own; None for anyone else, or when the database cannot say
    (the page is about that failure)."""
    runtime: Runtime = request.app.state.runtime
    try:
        async with runtime.database.session(write=False) as session:
            return await _signed_in_admin(request, session, runtime)
    except (LoginRequired, AdminOnly):
        return None
    except DATABASE_FAULTS:
        return None


async def admin_outside_transaction(request: Request, runtime: RuntimeDep) -> AdminContext:
    """The signed-in admin, read in a read-only transaction of its own, for pages that open
    their own transactions while they wait on something else (a connector target): the
    request's session of a form post holds SQLite's write lock until the answer leaves."""
    async with runtime.database.session(write=False) as session:
        return await _signed_in_admin(request, session, runtime)


AdminOutsideTransaction = Annotated[AdminContext, Depends(admin_outside_transaction)]


async def _csrf_checked(request: Request, admin: AdminContext, runtime: Runtime) -> FormData:
    form = await request.form()
    given = form.get("csrf")
    secret = runtime.settings.resolved_secret_key()
    if not cookies.csrf_valid(
        given if isinstance(given, str) else None, admin.token, secret=secret
    ):
        raise AdminOnly("The form expired or did not come from this page. Reload and retry.")
    return form


async def checked_form(request: Request, admin: Admin, runtime: RuntimeDep) -> FormData:
    """The posted form, once its CSRF token is checked (403 otherwise)."""
    return await _csrf_checked(request, admin, runtime)


PostedForm = Annotated[FormData, Depends(checked_form)]


async def checked_form_outside_transaction(
    request: Request, admin: AdminOutsideTransaction, runtime: RuntimeDep
) -> FormData:
    """``checked_form`` for pages that hold no request transaction (``AdminOutsideTransaction``)."""
    return await _csrf_checked(request, admin, runtime)


PostedFormOutsideTransaction = Annotated[FormData, Depends(checked_form_outside_transaction)]


def _secret(request: Request) -> str:
    runtime: Runtime = request.app.state.runtime
    return runtime.settings.resolved_secret_key()


def _flash_of(request: Request) -> flashes.Flash:
    """The flash the address carries, when this session's redirect signed it (else none)."""
    token = request.query_params.get(flashes.PARAM)
    if not token:
        return flashes.Flash()
    found = flashes.opened(
        token, session_token=request.cookies.get(cookies.COOKIE) or "", secret=_secret(request)
    )
    return found or flashes.Flash()


def page(
    request: Request, template: str, admin: AdminContext | None, **context: Any
) -> HTMLResponse:
    status = int(context.pop("status_code", 200))
    shown = _flash_of(request)
    return templates.TemplateResponse(
        request,
        template,
        {"admin": admin, "message": shown.message, "error": shown.error, **context},
        status_code=status,
    )


# Characters a redirect's address keeps as they are (those Starlette's ``RedirectResponse``
# keeps).
_ADDRESS_SAFE = ":/%#?=@[]!$&'()*+,;"


class FlashRedirect(RedirectResponse):
    """A 303 (Post/Redirect/Get) whose flash is signed when it is sent: with the instance
    secret and the session of the request it answers, which only then are at hand."""

    def __init__(self, path: str, query: dict[str, str], flash: flashes.Flash | None) -> None:
        self._path = path
        self._query = query
        self._flash = flash
        super().__init__(self._address(None), status_code=303)

    def _address(self, token: str | None) -> str:
        query = {**self._query, **({flashes.PARAM: token} if token else {})}
        return quote(
            f"{self._path}?{urlencode(query)}" if query else self._path, safe=_ADDRESS_SAFE
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._flash is not None:
            request = Request(scope)
            token = flashes.seal(
                self._flash,
                session_token=request.cookies.get(cookies.COOKIE) or "",
                secret=_secret(request),
            )
            self.headers["location"] = self._address(token)
        await super().__call__(scope, receive, send)


def back(
    path: str, *, message: str | None = None, error: str | None = None, **params: str
) -> RedirectResponse:
    """303 to ``path`` with ``params`` in its query and a message or an error to show there,
    signed (``admin/flash.py``): an address made elsewhere cannot show text of its choosing."""
    query = {key: value for key, value in params.items() if value}
    shown = flashes.Flash(message=message, error=error) if message or error else None
    return FlashRedirect(path, query, shown)


async def attempt(session: AsyncSession, work: Callable[[], Awaitable[Any]]) -> str | None:
    """Run ``work`` in a savepoint; on a refusal roll it back (and with it everything it
    recorded) and return the reason."""
    try:
        async with session.begin_nested():
            await work()
    except OpenGroupsError as exc:
        return exc.message
    except ValidationError as exc:
        return first_problem(exc)
    return None


def first_problem(exc: ValidationError) -> str:
    """The first thing wrong with a form, as ``field: what is wrong`` (never the value)."""
    problem = exc.errors()[0]
    field = ".".join(str(part) for part in problem["loc"])
    return f"{field}: {problem['msg']}"


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/login?next={quote(next_path)}", status_code=303)


_HEADINGS = {
    403: "Not allowed",
    404: "Not found",
    405: "Not found",
    409: "Conflict",
    422: "That address or form is not right",
    500: "Something went wrong",
    503: "Try again shortly",
}


def error_page(
    request: Request, *, status: int, detail: str, admin: AdminContext | None = None
) -> HTMLResponse:
    """An error as a page of the admin, with its navigation when ``admin`` is signed in."""
    return page(
        request,
        "error.html",
        admin,
        status_code=status,
        status=status,
        heading=_HEADINGS.get(status, "Something is wrong"),
        detail=detail,
    )


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _place(netloc: str, scheme: str) -> tuple[str, int | None]:
    """Host and port of ``netloc``, the port defaulted from ``scheme``."""
    parts = urlsplit(f"//{netloc}")
    return (parts.hostname or "", parts.port or _DEFAULT_PORTS.get(scheme))


def cross_site(headers: Headers) -> bool:
    """Whether a request was sent by a page of another site: its ``Sec-Fetch-Site`` says so,
    or its ``Origin`` (else its ``Referer``) names another host than the one it was sent to.

    Ports default from the origin's own scheme on both sides, so that a TLS-terminating proxy
    (which makes the request arrive over plain HTTP) does not make a same-site form look
    foreign. A request with neither header is not from a browser page and is let through; the
    form's CSRF token still has to be right."""
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin") or headers.get("referer")
    if origin is None:
        return False
    source = urlsplit(origin)
    if origin == "null" or not source.netloc:
        return True
    scheme = source.scheme.lower()
    return _place(source.netloc, scheme) != _place(headers.get("host", ""), scheme)


class SameOriginMiddleware:
    """Refuse (403) a form posted to the admin page from another site, before anything reads
    it. The CSRF token in every form already refuses such a post once signed in; this also
    covers the sign-in form, which has no session to derive a token from (a page elsewhere
    could otherwise sign a visitor's browser in to an account of the attacker's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in _SAFE_METHODS
            and cross_site(Headers(scope=scope))
        ):
            refusal = error_page(
                Request(scope),
                status=403,
                detail="This form was sent from another site. Open the admin page and retry.",
            )
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
