"""Logging: text lines for people (`make run`) or JSON lines for a log pipeline (`[logging] format`).

Every line logged while a request or a chat turn is being handled carries its `request_id` and
`conversation_id` (context variables: set by `request_id_middleware` and by the dialogue, they follow the
work into the tasks it starts). The access log (`AccessLogger`) shows query strings without their values,
so tokens, signatures and e-mail addresses in URLs never reach the log.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import IO, Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from config.settings import LoggingSettings
from router.privacy.logs import redact_query

__all__ = [
    "CONVERSATION_ID",
    "REQUEST_ID",
    "AccessLogger",
    "JsonFormatter",
    "configure_logging",
    "conversation",
    "redacted_path",
    "request_id_middleware",
]

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
CONVERSATION_ID: ContextVar[int | None] = ContextVar("conversation_id", default=None)
REQUEST_ID_KEY = web.RequestKey("request_id", str)
# A caller's own X-Request-ID (a proxy's) is kept when it looks like an id; anything else gets a new one.
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
NOISY = ("alembic", "bm25s", "sentence_transformers", "httpx", "aiosqlite")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ContextFilter(logging.Filter):
    """Puts the current request and conversation ids on every record (unless the call gave its own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        if getattr(record, "conversation_id", None) is None:
            record.conversation_id = CONVERSATION_ID.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = [
            f"{short}={value}"
            for short, value in (
                ("req", getattr(record, "request_id", None)),
                ("conv", getattr(record, "conversation_id", None)),
            )
            if value is not None
        ]
        record.ids = f" [{' '.join(ids)}]" if ids else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the ids, the access log's fields, and
    the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "conversation_id"):
            value = getattr(record, key, None)
            if value is not None:
                data[key] = value
        http = getattr(record, "http", None)
        if isinstance(http, dict):
            data["http"] = http
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = record.stack_info
        return json.dumps(data, ensure_ascii=False, default=str)


def configure_logging(
    settings: LoggingSettings, *, verbose: bool = False, stream: IO[str] | None = None
) -> logging.Handler:
    """The root logger writes to `stream` (stderr) in the configured format; returns its handler."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else settings.level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("aiohttp.access").disabled = True  # ours (`AccessLogger`) replaces it
    return handler


# -- ids ----------------------------------------------------------------------------------------------
@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: the request's id on every line logged while handling it, and in `X-Request-ID`."""
    given = request.headers.get("X-Request-ID", "")
    request_id = given if _GOOD_ID.fullmatch(given) else uuid.uuid4().hex[:16]
    request[REQUEST_ID_KEY] = request_id
    token = REQUEST_ID.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers["X-Request-ID"] = request_id
        raise
    finally:
        REQUEST_ID.reset(token)
    if not response.prepared:  # a WebSocket's headers went out with the upgrade
        response.headers["X-Request-ID"] = request_id
    return response


class conversation:
    """The conversation being worked on, for the lines logged meanwhile (a class: cheaper than a
    generator on every turn)."""

    __slots__ = ("conversation_id", "token")

    def __init__(self, conversation_id: int | None) -> None:
        self.conversation_id = conversation_id
        self.token: Token[int | None] | None = None

    def __enter__(self) -> None:
        self.token = CONVERSATION_ID.set(self.conversation_id)

    def __exit__(self, *_: object) -> None:
        if self.token is not None:
            CONVERSATION_ID.reset(self.token)


# -- the access log -------------------------------------------------------------------------------------
def redacted_path(request: web.BaseRequest) -> str:
    """The path, and the query with every value but harmless ones replaced: `/agent/ws?token=…`."""
    path = request.path
    if not request.query:
        return path
    return f"{path}?{redact_query(request.query.items())}"


class AccessLogger(AbstractAccessLogger):
    """One line a request: method, path (query values redacted), status, size, time, request id."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        request_id = request.get(REQUEST_ID_KEY) if isinstance(request, web.Request) else None
        path = redacted_path(request)
        http = {
            "method": request.method,
            "path": path,
            "status": response.status,
            "bytes": response.body_length,
            "ms": round(time * 1000, 1),
            "remote": request.remote,
            "user_agent": request.headers.get("User-Agent", ""),
        }
        self.logger.info(
            "%s %s %s %.1f ms",
            request.method,
            path,
            response.status,
            time * 1000,
            extra={"request_id": request_id, "http": http},
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
