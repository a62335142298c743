"""Log records as one line each, in the format the operator chose (``OPENGROUPS_LOG_FORMAT``),
with the id of the request they were made for.

``text`` is for a terminal, ``json`` (one object per line) and ``keyvalue`` (logfmt) for a log
collector. Every record carries a UTC timestamp, its level, its logger and its message; one
made while a request is served carries the request's id (``REQUEST_ID``, set by
``kit.middleware.RequestIdMiddleware``), and the fields given as ``extra`` are kept as fields.
The server's own records (uvicorn's) go through the same handler; its access log is replaced
by one line per request on ``ACCESS_LOGGER`` (docs/cli.md lists the fields).
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from opengroups.config import LogFormat, LogLevel

# The id of the request being served in this context; None outside a request.
REQUEST_ID: ContextVar[str | None] = ContextVar("opengroups_request_id", default=None)
ACCESS_LOGGER = "opengroups.access"
LEVELS: dict[LogLevel, int] = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": 5,  # uvicorn's level below debug
}
# Libraries that log every outgoing HTTP request at info: only shown when debugging.
CHATTY_LOGGERS = ("httpx", "httpcore")
# What every record has, and uvicorn's coloured copy of its message: not fields of their own.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


class RequestIdFilter(logging.Filter):
    """Give each record the id of the request it was made for (``REQUEST_ID``), when it was
    made during one and does not name one itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        return True


def _timestamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _LineFormatter(logging.Formatter):
    """One record as a mapping of fields; subclasses write it as one line."""

    message_key = "message"

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "ts": _timestamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            self.message_key: record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id is not None:
            fields["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and value is not None:
                fields[key] = value
        if record.exc_info:
            fields["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            fields["stack"] = self.formatStack(record.stack_info)
        return fields


class JsonFormatter(_LineFormatter):
    """``{"ts": ..., "level": "info", "logger": ..., "message": ..., "request_id": ...}``"""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.fields(record), ensure_ascii=False, default=str)


def _logfmt_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    plain = text and text.isprintable() and not any(c in text for c in ' "=\\')
    return text if plain else json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(_LineFormatter):
    """``ts=... level=info logger=... msg="..." request_id=...`` (logfmt): values with spaces,
    quotes or line breaks are quoted, so a traceback stays on its line."""

    message_key = "msg"

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(
            f"{key}={_logfmt_value(value)}" for key, value in self.fields(record).items()
        )


class TextFormatter(_LineFormatter):
    """``2026-12-02T09:38:00.123Z INFO    <request id or -> message`` for a terminal; a
    traceback follows on the next lines."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get() or "-"
        line = f"{_timestamp(record)} {record.levelname:<7} {request_id} {record.getMessage()}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


FORMATTERS: dict[LogFormat, type[logging.Formatter]] = {
    "text": TextFormatter,
    "json": JsonFormatter,
    "keyvalue": KeyValueFormatter,
}


def logging_config(*, level: LogLevel, log_format: LogFormat) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` configuration (the form uvicorn takes, and gives each
    worker process): every record, the server's included, through one handler on standard
    error in ``log_format``; uvicorn's access log off (``ACCESS_LOGGER`` replaces it)."""
    formatter = FORMATTERS[log_format]
    numeric = LEVELS[level]
    chatty = numeric if numeric <= logging.DEBUG else logging.WARNING
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"line": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "line": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "line",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["line"], "level": numeric},
        "loggers": {
            # uvicorn's own handlers are replaced by the root's, in the same format.
            "uvicorn": {"handlers": [], "propagate": True, "level": numeric},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": numeric},
            "uvicorn.access": {"handlers": [], "propagate": False},
            **{name: {"level": chatty} for name in CHATTY_LOGGERS},
        },
    }


def configure(*, level: LogLevel, log_format: LogFormat) -> None:
    """Apply ``logging_config`` to this process."""
    import logging.config

    logging.addLevelName(LEVELS["trace"], "TRACE")
    logging.config.dictConfig(logging_config(level=level, log_format=log_format))
