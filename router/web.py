"""HTTP plumbing shared by every package's handlers: app keys, JSON errors, body limits, role checks."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from config import KundresaError, Settings, TooLargeError, ValidationError
from knowledge import KnowledgeBase
from router.auth import check_role
from router.channel import ChannelRegistry
from router.events import EventBus
from router.models import User
from router.service import Router
from router.token_guard import authenticate_request

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
KB = web.AppKey("knowledge_base", KnowledgeBase)
CHANNELS = web.AppKey("channels", ChannelRegistry)
BUS = web.AppKey("event_bus", EventBus)
ROUTER = web.AppKey("router", Router)

log = logging.getLogger("kundresa.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
USER = web.RequestKey("user", User)


def error_response(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error is JSON `{"error": {"code", "message"}}`; never a stack trace."""
    try:
        return await handler(request)
    except KundresaError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status, "http_error")
        return error_response(exc.status, code, exc.reason)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on our side; it has been logged")


async def read_json(request: web.Request) -> Any:
    limit = request.app[SETTINGS].server.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise TooLargeError(f"request body over {limit} bytes")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise TooLargeError(f"request body over {limit} bytes")
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValidationError("request body is not valid UTF-8", code="invalid_utf8") from exc
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"request body is not valid JSON: {exc.msg} at {exc.pos}", code="invalid_json"
        ) from exc


async def read_object(request: web.Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ValidationError("request body must be a JSON object")
    return body


def bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


async def current_user(request: web.Request, role: str) -> User:
    async with request.app[SESSIONS]() as session:
        user = await authenticate_request(session, request, bearer(request))  # wrong tokens: per address
    check_role(user, role)
    request[USER] = user
    return user


def requires(role: str) -> Callable[[Handler], Handler]:
    """Decorator: the route answers 401 without a valid token and 403 without the role."""

    def wrap(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            await current_user(request, role)
            return await handler(request)

        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded

    return wrap


def user_of(request: web.Request) -> User:
    user: User = request[USER]
    return user
