"""The outermost middleware: every failure becomes JSON `{"error": {"code", "message"}}`, never a stack trace.

- Errors Kundresa raises on purpose (`KundresaError`, aiohttp's HTTP errors) keep their 4xx status and are
  not logged as failures: bad input is the client's, not ours.
- A URL whose path or query carries a NUL character is refused (400 `invalid_text`) before any handler: a
  slug or search with NUL would be stored or matched on SQLite and fail on PostgreSQL.
- Anything else is a bug: logged once, with a request id, and answered 500 with that id (in the body and
  the `X-Request-Id` header), so a customer's report can be found in the log.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from config import KundresaError, ValidationError

__all__ = ["REQUEST_ID", "error_middleware", "error_response", "request_id"]

log = logging.getLogger("kundresa.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
REQUEST_ID = web.RequestKey("request_id", str)
_GOOD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")  # a proxy's X-Request-Id is kept only when it looks like one
HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def error_response(status: int, code: str, message: str, **extra: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, **extra}}, status=status)


def request_id(request: web.Request) -> str:
    """This request's id: the one a proxy sent (`X-Request-Id`), or a new one; the same every call."""
    found = request.get(REQUEST_ID)
    if found is None:
        sent = request.headers.get("X-Request-Id", "")
        found = sent if _GOOD_ID.fullmatch(sent) else uuid.uuid4().hex[:16]
        request[REQUEST_ID] = found
    return found


def _check_url(request: web.Request) -> None:
    if "\x00" in request.path:
        raise ValidationError("the URL path contains a NUL character", code="invalid_text")
    for key, value in request.query.items():
        if "\x00" in key or "\x00" in value:
            raise ValidationError(
                f"query parameter {key[:40]!r} contains a NUL character", code="invalid_text"
            )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error is JSON `{"error": {"code", "message"}}`; a 500 also names its `request_id`."""
    try:
        _check_url(request)
        return await handler(request)
    except KundresaError as exc:
        if exc.status >= 500:  # on purpose, but ours (e.g. a setting missing): logged, with its own code
            rid = request_id(request)
            log.error(
                "%s on %s %s [request %s]: %s", exc.code, request.method, request.path, rid, exc.message
            )
            return error_response(exc.status, exc.code, exc.message, request_id=rid)
        return error_response(exc.status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status >= 500:
            return _internal(request, exc)
        return error_response(exc.status, HTTP_CODES.get(exc.status, "http_error"), exc.reason)
    except Exception as exc:
        return _internal(request, exc)


def _internal(request: web.Request, exc: BaseException) -> web.Response:
    rid = request_id(request)
    log.error("unhandled error on %s %s [request %s]", request.method, request.path, rid, exc_info=exc)
    message = f"something went wrong on our side; it has been logged (request {rid})"
    resp = error_response(500, "internal_error", message, request_id=rid)
    resp.headers["X-Request-Id"] = rid
    return resp
