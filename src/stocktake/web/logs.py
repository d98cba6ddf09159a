"""Structured logs (issue #20): one line per request and one per submission, as JSON
(``STOCKTAKE_LOG_FORMAT=json``, the default of ``stocktake serve``) or as plain text
(``text``), each with the request's id, also sent back in the ``X-Request-ID`` header so a
user's report can be matched to its line.

What is logged is chosen field by field, never a whole request: the method, the path
without its query string, the route, the status, the time taken, the client address and the
account's name. Headers, cookies, form fields and query strings (where passwords, session
cookies and API tokens travel) are never read here.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# This module stays light to import: uvicorn builds each worker's logging from it (the
# formatters below) before the worker answers its supervisor's health ping, which must come
# within seconds or the worker is killed and started again, forever. So the metrics (which
# bring in the whole application) are imported where they are first used.
if TYPE_CHECKING:
    from ..intake.service import SubmissionResult

LOG_FORMAT_ENV = "STOCKTAKE_LOG_FORMAT"
LOG_FORMATS = ("json", "text")
REQUEST_ID_HEADER = "x-request-id"

requests_log = logging.getLogger("stocktake.requests")
submissions_log = logging.getLogger("stocktake.submissions")
request_id: ContextVar[str | None] = ContextVar("stocktake_request_id", default=None)


class JsonLines(logging.Formatter):
    """A record as one JSON object: time, level, logger, message and the record's
    ``fields`` (the structured part, given as ``extra={"fields": {...}}``)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + "Z",
                "level": record.levelname.lower(), "logger": record.name,
                "message": record.getMessage(), **getattr(record, "fields", {})}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class Text(logging.Formatter):
    """The same as ``key=value`` pairs after the message, for reading in a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in getattr(record, "fields", {}).items())
        return f"{self.formatTime(record)} {record.levelname} {record.getMessage()} {fields}"


def logging_config(log_format: str, *, requests: bool = True) -> dict[str, Any]:
    """A logging.config.dictConfig for the server: stocktake's lines on stderr in the
    format asked for (without ``requests``, only warnings and errors), uvicorn's own at
    WARNING. uvicorn applies it in every worker."""
    formatter = JsonLines if log_format == "json" else Text
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"stocktake": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "stocktake",
                                "stream": "ext://sys.stderr"}},
        "loggers": {
            "stocktake": {"handlers": ["stderr"], "propagate": False,
                          "level": "INFO" if requests else "WARNING"},
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def _route_of(scope: Scope) -> str:
    """The route's template (/priorities/{code}), so that one label stands for all its
    pages; "unmatched" for a path no route has (bounded: never the path itself)."""
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class RequestLog:
    """Gives each HTTP request an id, then logs it and counts it in the metrics."""

    def __init__(self, app: ASGIApp):
        from . import monitoring

        self.app = app
        self.count_request = monitoring.count_request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(8)
        token = request_id.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = 500  # if the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route_of(scope)
            self.count_request(scope["method"], route, status, seconds)
            user = getattr(scope["state"].get("principal"), "username", None)
            client = scope.get("client")
            requests_log.info("request", extra={"fields": {
                "request_id": rid, "method": scope["method"], "path": scope["path"],
                "route": route, "status": status, "duration_ms": round(seconds * 1000, 1),
                "client": client[0] if client else None, "user": user}})
            request_id.reset(token)


def submission(result: SubmissionResult, *, submitter: str, via: str) -> None:
    """Count and log one submission (accepted or refused) made through the web."""
    from . import monitoring

    monitoring.count_submission(result.accepted, result.added + result.revised)
    submissions_log.info("submission", extra={"fields": {
        "request_id": request_id.get(), "via": via, "submitter": submitter,
        "accepted": result.accepted, "batch": result.batch, "rows": result.rows,
        "added": result.added, "revised": result.revised, "unchanged": result.unchanged,
        "errors": len(result.errors), "duplicate_of": result.duplicate_of}})
