"""Prometheus metrics at ``/metrics`` (docs/operations.md), as ``OPENGROUPS_METRICS`` allows.

- ``opengroups_http_requests_total`` and ``opengroups_http_request_duration_seconds``: every
  HTTP request, by method, route *template* (``/api/v1/groups/id/{group_id}``, never the path
  itself: no ids in labels) and status class (``2xx``...). A request no route matched (a 404,
  or one refused by a middleware before routing) is ``route="unmatched"``.
- ``opengroups_http_requests_in_flight``: requests being answered now.
- ``opengroups_cache_lookups_total`` and ``opengroups_cache_entries``: each per-process cache
  (``caching.owner.Caches``) read by outcome (``hit`` or ``miss``), and its size.
- ``opengroups_db_pool_connections_checked_out``, ``opengroups_db_pool_connections_idle`` and
  ``opengroups_db_pool_size``: the database pool (SQLAlchemy's) of this process.
- ``opengroups_build_info``, and prometheus_client's ``process_*`` and ``python_*``.

Every figure is this process's own (docs/decisions.md): a server started with several workers
answers each scrape from whichever worker takes it, so scrape one worker per port.
"""

from __future__ import annotations

import hmac
import logging
import multiprocessing
import time
from collections.abc import Iterator

from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opengroups import __version__
from opengroups.bootstrap import Runtime
from opengroups.caching.lru import LRU
from opengroups.config import Settings
from opengroups.errors import NotAuthenticated

logger = logging.getLogger("opengroups")

PATH = "/metrics"
UNMATCHED = "unmatched"
# Any other method (a client may send any token) is counted as "other": labels stay bounded.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Seconds: from a cached read (a few milliseconds) to a bulk import or a long poll.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def route_template(scope: Scope, root_path: str) -> str:
    """The template of the route that answered a request, from its ``scope`` as routing left
    it (``scope["route"]``, and ``root_path`` grown by each mount on the way), ``root_path``
    being the one it came in with; ``UNMATCHED`` when no route matched. A mount whose app has
    no route of its own for the request (a static file, an unknown SCIM path) gives its
    prefix and ``/{path}``."""
    prefix = str(scope.get("root_path", ""))[len(root_path) :]
    route = scope.get("route")
    path_format = getattr(route, "path_format", None)
    if isinstance(route, Mount) or (prefix and not isinstance(path_format, str)):
        return prefix + "/{path}"
    if not isinstance(path_format, str):
        return UNMATCHED
    return prefix + path_format


class _RuntimeCollector(Collector):
    """The caches' and the pool's figures, read when scraped (nothing to keep up to date)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[Metric]:
        lookups = CounterMetricFamily(
            "opengroups_cache_lookups",
            "Reads of a per-process cache, by outcome.",
            labels=["cache", "result"],
        )
        entries = GaugeMetricFamily(
            "opengroups_cache_entries", "Entries held by a per-process cache.", labels=["cache"]
        )
        for name, cache in vars(self.runtime.caches).items():
            if isinstance(cache, LRU):
                lookups.add_metric([name, "hit"], cache.hits)
                lookups.add_metric([name, "miss"], cache.misses)
                entries.add_metric([name], len(cache))
        yield lookups
        yield entries
        yield from self._pool()

    def _pool(self) -> Iterator[Metric]:
        pool = self.runtime.database.engine.pool  # scraped only while the app runs
        figures = {
            "opengroups_db_pool_connections_checked_out": (
                "Database connections in use by this process.",
                "checkedout",
            ),
            "opengroups_db_pool_connections_idle": (
                "Open database connections waiting in this process's pool.",
                "checkedin",
            ),
            "opengroups_db_pool_size": (
                "Connections this process's pool keeps open (more may be opened, up to its "
                "overflow).",
                "size",
            ),
        }
        for name, (documentation, method) in figures.items():
            read = getattr(pool, method, None)  # pools without one (a static pool) skip it
            if callable(read):
                yield GaugeMetricFamily(name, documentation, value=float(read()))


class Metrics:
    """The registry of one app, and its request metrics."""

    def __init__(self, runtime: Runtime) -> None:
        self.registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.registry.register(_RuntimeCollector(runtime))
        labels = ["method", "route", "status"]
        self.requests = Counter(
            "opengroups_http_requests",
            "HTTP requests answered, by method, route template and status class.",
            labels,
            registry=self.registry,
        )
        self.duration = Histogram(
            "opengroups_http_request_duration_seconds",
            "Time to answer an HTTP request, by method, route template and status class.",
            labels,
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "opengroups_http_requests_in_flight",
            "HTTP requests being answered now.",
            registry=self.registry,
        )
        Gauge(
            "opengroups_build_info",
            "The running version of opengroups.",
            ["version"],
            registry=self.registry,
        ).labels(__version__).set(1)
        # One pair of children per label set (bounded: methods, templates, status classes),
        # so that a request costs no lookup in prometheus_client's locked tables.
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method if method in METHODS else "other", route, f"{status // 100}xx")
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(*key),
                self.duration.labels(*key),
            )
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Count and time every HTTP request. Added last, so that it is the outermost middleware
    and sees the others' refusals too (413, 422); an exception is a 500 (Starlette answers it
    outside), a request whose client left before any answer is not counted."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        root_path = str(scope.get("root_path", ""))
        status = 0

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        started = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_status)
        except Exception:
            status = status or 500
            raise
        finally:
            self.metrics.in_flight.dec()
            if status:
                self.metrics.observe(
                    scope["method"],
                    route_template(scope, root_path),
                    status,
                    time.perf_counter() - started,
                )


def _allowed(request: Request, settings: Settings) -> bool:
    if settings.metrics == "public":
        return True
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    token = settings.metrics_token or ""
    return (
        scheme.lower() == "bearer"
        and bool(token)
        and hmac.compare_digest(credentials.strip().encode(), token.encode())
    )


def install(app: FastAPI, runtime: Runtime) -> None:
    """Count requests and serve ``/metrics`` as ``OPENGROUPS_METRICS`` says; nothing at all
    when it is ``off``. Call it after every other middleware is added (``MetricsMiddleware``)."""
    settings = runtime.settings
    if settings.metrics == "off":
        return
    metrics = Metrics(runtime)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    if multiprocessing.parent_process() is not None:
        logger.warning(
            "metrics are per process, and this server has several workers: each scrape of "
            "%s shows the worker that answers it (docs/operations.md)",
            PATH,
        )

    async def read_metrics(request: Request) -> Response:
        """This process's metrics in Prometheus's text format. With ``OPENGROUPS_METRICS=token``
        only for ``Authorization: Bearer $OPENGROUPS_METRICS_TOKEN`` (401 otherwise)."""
        if not _allowed(request, settings):
            raise NotAuthenticated("The metrics need the bearer token OPENGROUPS_METRICS_TOKEN.")
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route(PATH, read_metrics, methods=["GET"], include_in_schema=False)
