"""HTTP plumbing shared by every package's handlers: app keys, JSON errors, body limits, role checks."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from aiohttp import web

from config import NotFoundError, TooLargeError, ValidationError, safe_json
from infra.app_keys import SESSIONS, SETTINGS
from knowledge import KnowledgeBase
from router.auth import check_role
from router.channel import ChannelRegistry
from router.errors_mw import error_middleware as error_middleware  # re-exported: handlers import it here
from router.errors_mw import error_response as error_response
from router.events import EventBus
from router.models import User
from router.service import Router
from router.token_guard import authenticate_request

KB = web.AppKey("knowledge_base", KnowledgeBase)
CHANNELS = web.AppKey("channels", ChannelRegistry)
BUS = web.AppKey("event_bus", EventBus)
ROUTER = web.AppKey("router", Router)

log = logging.getLogger("kundresa.http")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
USER = web.RequestKey("user", User)


MAX_ID = 2**31 - 1  # ids are INTEGER columns: a larger id names no row (and overflows the drivers)
_DIGITS = re.compile(r"[0-9]{1,30}")


async def read_json(request: web.Request) -> Any:
    """The request body as JSON, bounded (`config.safe_json`): size, depth, numbers, valid text; or a 4xx."""
    limit = request.app[SETTINGS].server.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise TooLargeError(f"request body over {limit} bytes")
    raw = await request.content.read(limit + 1)
    if len(raw) > limit:
        raise TooLargeError(f"request body over {limit} bytes")
    return safe_json.loads(raw)


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


def path_id(request: web.Request, what: str, name: str = "id") -> int:
    """A numeric id from the URL: 400 unless ASCII digits, 404 when no row can have it (0, > MAX_ID)."""
    raw = request.match_info[name]
    if not _DIGITS.fullmatch(raw):
        raise ValidationError(f"{what} id must be a positive whole number", code="invalid_id")
    value = int(raw)
    if not 0 < value <= MAX_ID:
        raise NotFoundError(f"no {what} {raw}")
    return value


def user_of(request: web.Request) -> User:
    user: User = request[USER]
    return user
