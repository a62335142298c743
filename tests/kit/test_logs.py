"""Log lines: one per record in each format, the request id on every response and in the
records made while serving it, one access line per request (a bug's 500 and a 413 included)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from opengroups.kit.logs import (
    ACCESS_LOGGER,
    REQUEST_ID,
    JsonFormatter,
    KeyValueFormatter,
    RequestIdFilter,
    TextFormatter,
    logging_config,
)
from tests.conftest import AppFactory
from tests.servers import free_port

TEST_LOGGER = "opengroups.tests.logs"


def _record(message: str = "hello %s", *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(TEST_LOGGER, logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def _failed_record() -> logging.LogRecord:
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        record = _record("it failed")
        record.exc_info = sys.exc_info()
    return record


def test_json_is_one_object_per_line_with_the_fields() -> None:
    token = REQUEST_ID.set("rid-1")
    try:
        line = JsonFormatter().format(_record("hello %s", "world", status=201, path="/x"))
    finally:
        REQUEST_ID.reset(token)

    fields = json.loads(line)
    assert fields.pop("ts").endswith("Z")
    assert fields == {
        "level": "warning",
        "logger": TEST_LOGGER,
        "message": "hello world",
        "request_id": "rid-1",
        "status": 201,
        "path": "/x",
    }


def test_a_traceback_stays_on_its_line_in_json_and_keyvalue() -> None:
    as_json = JsonFormatter().format(_failed_record())
    as_keyvalue = KeyValueFormatter().format(_failed_record())

    assert "\n" not in as_json
    assert "ValueError: broken" in json.loads(as_json)["exception"]
    assert "\n" not in as_keyvalue
    assert 'exception="Traceback' in as_keyvalue


def test_keyvalue_quotes_what_needs_it() -> None:
    line = KeyValueFormatter().format(
        _record("GET /a b", path="/a b", status=200, plain="x", ok=True, quoted='say "hi"')
    )

    assert line.startswith("ts=")
    assert " level=warning logger=opengroups.tests.logs " in line
    assert 'msg="GET /a b"' in line
    assert 'path="/a b" status=200 plain=x ok=true quoted="say \\"hi\\""' in line
    assert "request_id" not in line  # made outside any request


def test_text_has_the_time_the_level_and_the_request_id() -> None:
    line = TextFormatter().format(_record("hello", request_id="rid-2"))
    outside = TextFormatter().format(_record("hello"))

    stamp, level, request_id, message = line.split(maxsplit=3)
    assert stamp.endswith("Z")
    assert "T" in stamp
    assert (level, request_id, message) == ("WARNING", "rid-2", "hello")
    assert outside.split()[2] == "-"


@pytest.mark.parametrize("log_format", ["text", "json", "keyvalue"])
def test_the_configuration_names_each_format_and_replaces_uvicorns_access_log(
    log_format: str,
) -> None:
    config = logging_config(level="info", log_format=log_format)  # type: ignore[arg-type]

    formatter = config["formatters"]["line"]["()"]
    assert formatter.rsplit(".", 1)[1].lower().startswith(log_format[:4])
    assert config["loggers"]["uvicorn.access"] == {"handlers": [], "propagate": False}
    assert config["handlers"]["line"]["filters"] == ["request_id"]


@pytest.fixture
async def boom_app(app_factory: AppFactory) -> FastAPI:
    """The app with one route, added by this test only, that logs and then fails."""
    app = await app_factory(max_body_bytes=1024)

    async def boom() -> None:
        logging.getLogger(TEST_LOGGER).warning("about to fail")
        raise RuntimeError("a bug")

    app.add_api_route("/tests-only/boom", boom, methods=["GET"])
    return app


@pytest.fixture
async def lenient(boom_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that gets the 500 rather than the app's exception (as a server's client)."""
    transport = httpx.ASGITransport(app=boom_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)
    caplog.set_level(logging.INFO, logger=TEST_LOGGER)
    caplog.handler.addFilter(RequestIdFilter())  # as the server's handler has it
    return caplog


def _access(caplog: pytest.LogCaptureFixture, request_id: str) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == ACCESS_LOGGER and getattr(record, "request_id", None) == request_id
    ]


async def test_an_unhandled_error_answers_500_with_the_request_id_and_one_access_line(
    lenient: httpx.AsyncClient, records: pytest.LogCaptureFixture
) -> None:
    response = await lenient.get("/tests-only/boom?secret=s3cr3t")

    assert response.status_code == 500
    assert response.text == "Internal Server Error"
    request_id = response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"  # still inside those
    [access] = _access(records, request_id)
    assert (access.method, access.path, access.status) == ("GET", "/tests-only/boom", 500)  # type: ignore[attr-defined]
    assert "s3cr3t" not in records.text
    [logged] = [record for record in records.records if record.name == TEST_LOGGER]
    assert logged.request_id == request_id  # type: ignore[attr-defined]


async def test_a_body_over_the_limit_gets_413_with_the_request_id_and_one_access_line(
    lenient: httpx.AsyncClient, records: pytest.LogCaptureFixture
) -> None:
    response = await lenient.post(
        "/api/v1/auths/signin", content=b"x" * 4096, headers={"X-Request-ID": "big-1"}
    )

    assert response.status_code == 413
    assert response.headers["x-request-id"] == "big-1"
    [access] = _access(records, "big-1")
    assert (access.method, access.status) == ("POST", 413)  # type: ignore[attr-defined]


async def test_every_request_gets_one_access_line_and_the_id_ends_with_it(
    lenient: httpx.AsyncClient, records: pytest.LogCaptureFixture
) -> None:
    first = await lenient.get("/health")
    second = await lenient.get("/health")

    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert ids[0] != ids[1]
    for request_id in ids:
        [access] = _access(records, request_id)
        assert access.status == 200  # type: ignore[attr-defined]
        assert access.duration_ms >= 0  # type: ignore[attr-defined]
    assert REQUEST_ID.get() is None  # nothing of a request outlives it


async def test_the_servers_report_of_the_error_carries_the_request_id(
    boom_app: FastAPI, records: pytest.LogCaptureFixture
) -> None:
    """Under uvicorn (in this process, on this loop), whose record of the unhandled error, with
    its traceback, comes after the app has answered."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(boom_app, port=port, log_config=None, access_log=False, lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            assert not serving.done(), "the server stopped before it started"
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.get("/tests-only/boom")
    finally:
        server.should_exit = True
        await serving

    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    [reported] = [
        record
        for record in records.records
        if record.name == "uvicorn.error" and record.levelno == logging.ERROR
    ]
    assert reported.exc_info is not None
    assert reported.request_id == request_id  # type: ignore[attr-defined]
    assert len(_access(records, request_id)) == 1
