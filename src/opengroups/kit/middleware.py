"""Request middleware: bodies over the configured size refused with 413 before any handler reads
them, unstorable text refused with 422, and a request id on every request and in its log lines,
with one access line per request."""

from __future__ import annotations

import json
import logging
import time
import uuid
from urllib.parse import unquote_plus

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opengroups.kit.logs import ACCESS_LOGGER, REQUEST_ID

# The status logged for a request whose client left (or whose server stopped) before any answer.
CLIENT_CLOSED = 499


def _message(max_bytes: int) -> str:
    return f"Request body is larger than the limit of {max_bytes} bytes."


class _TooLarge(HTTPException):
    """Raised while a streamed body is read. An ``HTTPException``, because FastAPI turns any
    other error raised while it reads a body into a 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(status_code=413, detail=_message(max_bytes))


class BodySizeLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        large_paths: tuple[str, ...] = (),
        large_max_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.large_paths = large_paths
        self.large_max_bytes = max(large_max_bytes, max_bytes)

    def _limit(self, path: str) -> int:
        """Bulk routes (imports) take larger bodies than the rest."""
        return self.large_max_bytes if path.startswith(self.large_paths) else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is None and b"transfer-encoding" not in headers:
            # Neither header: the request has no body (RFC 9112 §6.3), nothing to count.
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps({"detail": _message(limit)}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Give every request an id (the client's ``X-Request-ID`` when sane, else a new one), kept
    in ``scope["state"]["request_id"]`` for the audit trail and in ``kit.logs.REQUEST_ID`` for
    the log records made while it is served, and sent back as ``X-Request-ID`` on every
    response. The 500 of an unhandled error is answered here, so that it carries the id too;
    the error then goes on to the server, which logs it.

    Once the response is sent, one line on ``kit.logs.ACCESS_LOGGER`` at info: method, path
    (never the query string, which can hold a sign-in code), status, duration in milliseconds
    and client address. Placed outside the middlewares that answer by themselves (the body size
    limit's 413), inside the security headers'."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.access = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1").strip()
        request_id = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("latin-1"))
        status = 0  # none sent yet

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            if not status:
                await _send_plain(send_with_id, 500, b"Internal Server Error")
            self._log(scope, request_id, status, started)
            # The id stays set in this context: the server logs the error next, in it.
            raise
        except BaseException:  # cancelled: the client left, or the server is stopping
            self._log(scope, request_id, status or CLIENT_CLOSED, started)
            REQUEST_ID.reset(token)
            raise
        self._log(scope, request_id, status, started)
        REQUEST_ID.reset(token)

    def _log(self, scope: Scope, request_id: str, status: int, started: float) -> None:
        if not self.access.isEnabledFor(logging.INFO):
            return
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        client = scope.get("client")
        method, path = scope["method"], scope["path"]
        self.access.info(
            "%s %s %d %.1fms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "request_id": request_id,
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
                "client": client[0] if client else None,
            },
        )


class PeerMiddleware:
    """Keep the address of the connection itself in ``scope["state"]["peer"]`` before forwarded
    headers replace the client's (``ProxyHeadersMiddleware`` runs inside it): a trusted-header
    sign-in must know that the request came straight from a configured proxy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            scope.setdefault("state", {})["peer"] = client[0] if client else None
        await self.app(scope, receive, send)


class UnstorableTextMiddleware:
    """Refuse (422) request text that no database can store, wherever it comes in: NUL
    characters (PostgreSQL refuses them in text, SQLite would keep them and the data could then
    not move to PostgreSQL) and unpaired UTF-16 surrogates (which UTF-8 cannot encode).

    In a JSON body they can only arrive as ``\\u`` escapes, so a body without that sequence is
    passed on unread; one with it is decoded and its strings (and keys) checked. Paths, query
    strings and form bodies are checked after percent-decoding. Bodies are bounded already by
    ``BodySizeLimitMiddleware`` (outside this one).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = _unstorable(scope["path"], "path") or _unstorable(
            unquote_plus(scope.get("query_string", b"").decode("latin-1")), "query"
        )
        if problem is None:
            content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0]
            if content_type in _CHECKED_BODIES:
                body, receive = await _buffered(receive)
                problem = _body_problem(content_type, body)
        if problem is not None:
            await _send_json(send, 422, problem)
            return
        await self.app(scope, receive, send)


_CHECKED_BODIES = {b"application/json", b"application/x-www-form-urlencoded", b"text/csv"}


def _unstorable(text: str, where: str) -> str | None:
    """What is wrong with ``text`` (at ``where``), or None."""
    if text.isascii() and "\x00" not in text:
        return None  # the common case, checked without a loop in Python
    for index, char in enumerate(text):
        if char == "\x00" or "\ud800" <= char <= "\udfff":
            what = "a NUL character" if char == "\x00" else "an unpaired surrogate"
            return f"{where}: text may not contain {what} (at position {index})."
    return None


def _walk(value: object, where: str) -> str | None:
    if isinstance(value, str):
        return _unstorable(value, where)
    if isinstance(value, dict):
        for key, item in value.items():
            found = _unstorable(key, where) or _walk(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _walk(item, f"{where}.{index}")
            if found:
                return found
    return None


def _body_problem(content_type: bytes, body: bytes) -> str | None:
    if content_type == b"application/json":
        if b"\\u" not in body:
            return None  # NUL and surrogates can only be \u escapes in valid JSON
        try:
            decoded = json.loads(body)
        except ValueError:
            return None  # malformed: the route's own parsing answers it
        return _walk(decoded, "body")
    text = body.decode("utf-8", errors="replace")
    if content_type == b"application/x-www-form-urlencoded":
        text = unquote_plus(text)
    return _unstorable(text, "body")


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a ``receive`` that hands it on as one message."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


async def _send_plain(send: Send, status: int, body: bytes) -> None:
    """Starlette's own answer to an unhandled error, sent by ``RequestIdMiddleware``."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# Content-Security-Policy by path prefix (first match wins). The API answers JSON only: nothing
# in it may load or run anything. The admin page is plain HTML forms with no script at all, and
# inline styles; the interactive API docs (Swagger UI, ReDoc) run their scripts, served by this
# service, and the inline one that starts them, and may load nothing from anywhere else.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
ADMIN_POLICY = (
    "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
HSTS = b"max-age=31536000"


class SecurityHeadersMiddleware:
    """Headers that tell a browser what a response may do, on every response: no content-type
    sniffing, no framing (clickjacking), no referrer sent elsewhere, a Content-Security-Policy
    per part of the site, pages of the admin never cached, and over HTTPS a
    Strict-Transport-Security. A header a route set itself is kept."""

    def __init__(self, app: ASGIApp, *, policies: tuple[tuple[str, str], ...]) -> None:
        self.app = app
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
        ]
        self.policies = [
            (
                prefix,
                [
                    *common,
                    (b"content-security-policy", policy.encode()),
                    *([(b"cache-control", b"no-store")] if policy == ADMIN_POLICY else []),
                ],
            )
            for prefix, policy in policies
        ]
        self.fallback = [*common, (b"content-security-policy", API_POLICY.encode())]

    def _headers(self, path: str) -> list[tuple[bytes, bytes]]:
        for prefix, headers in self.policies:
            if path == prefix or path.startswith(prefix + "/"):
                return headers
        return self.fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._headers(scope["path"])
        if scope.get("scheme") == "https":
            extra = [*extra, (b"strict-transport-security", HSTS)]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in extra if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
