"""The hub processes' logs (`hub serve`, `hub ingest`): one setup, text for a person at a
terminal or one JSON object per line for a log collector. Every line carries its time, level,
logger and message, and, inside a request, the request's id; the request log line adds the
method, route template, status and duration. Only route templates are logged, never paths or
query strings (a path may name an applicant, a query a search), and SQL statement parameters
never reach exception texts (hub.db.HIDE_PARAMETERS)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

LogFormat = Literal["json", "text"]
REQUEST_ID_HEADER = "X-Request-ID"
# a caller's id is kept only when it is short and plain: it is echoed in headers and logs
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# what a request log line adds; a formatter copies these from the record when present
REQUEST_FIELDS = ("method", "route", "status", "duration_ms")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "bianmin_request_id", default=None
)
access = logging.getLogger("bianmin.hub.http")


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was logged in (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid is not None:
            line["request_id"] = rid
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        rid = getattr(record, "request_id", None)
        return f"{text} [request {rid}]" if rid is not None else text


def default_format(stream: Any = None) -> LogFormat:
    """Text for a person at a terminal, JSON for a supervisor or a collector."""
    isatty = getattr(stream or sys.stderr, "isatty", None)
    return "text" if isatty is not None and isatty() else "json"


def configure(fmt: LogFormat | None = None, level: str = "INFO", stream: Any = None) -> None:
    """The one logging setup of a hub process: a stderr handler on the root logger."""
    handler = logging.StreamHandler(stream or sys.stderr)
    chosen = fmt or default_format(stream)
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "bianmin", False):
            root.removeHandler(old)
    handler.bianmin = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn's own access log prints whole paths with their queries: ours replaces it
    logging.getLogger("uvicorn.access").disabled = True
    # an HTTP client logs each URL it calls at INFO (a webhook's URL may carry its secret)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))


def clean_request_id(given: str | None) -> str:
    """The caller's X-Request-ID when it is plain and short, else a new one."""
    if given is not None and _GOOD_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class RequestLog:
    """ASGI middleware: gives each request an id (the caller's, if sane), returns it in
    X-Request-ID, and logs one line per request when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                given = value.decode("latin-1")
                break
        rid = clean_request_id(given)
        token = request_id.set(rid)
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            code = status["code"]
            access.log(
                logging.WARNING if code >= 500 else logging.INFO,
                "%s %s %s",
                scope.get("method", "?"),
                route,
                code,
                extra={
                    "method": scope.get("method", "?"),
                    "route": route,
                    "status": code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            request_id.reset(token)
