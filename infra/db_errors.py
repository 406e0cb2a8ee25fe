"""The database away for a moment (a restart, a failover, a full pool): 503 with a JSON error, no traceback.

Every request's transaction is rolled back when its connection fails, so nothing is half-written; the pool
checks connections before use (`pool_pre_ping`), so requests succeed again by themselves once the database
is back. Errors that are not about reaching the database stay what they are (500, logged with traceback).
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import exc as sa_exc

log = logging.getLogger("kundresa.http")

__all__ = ["database_unavailable", "db_unavailable_middleware", "socket_database_unavailable", "unavailable"]

RETRY_AFTER_SECONDS = 5
TRY_AGAIN_LATER = 1013  # WebSocket close code: the widget reconnects, with backoff
MESSAGE = "the database cannot be reached right now; try again in a few seconds"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


DRIVERS = ("sqlalchemy.", "asyncpg.", "aiosqlite.")


def _connection_errors() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [sa_exc.TimeoutError]  # no pool connection free in time
    try:
        import asyncpg

        kinds += [
            asyncpg.PostgresConnectionError,  # cannot connect, connection lost
            asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now
            asyncpg.InterfaceError,  # "connection is closed"
        ]
    except ImportError:  # pragma: no cover - a SQLite-only install
        pass
    return tuple(kinds)


CONNECTION_ERRORS = _connection_errors()


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says the database could not be reached or is too busy."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, CONNECTION_ERRORS):
            return True
        # A refused or missing socket surfaces as a bare OSError from the driver's connect: only where
        # it was raised tells it from any other OSError.
        if isinstance(current, OSError | TimeoutError) and _raised_in_driver(current):
            return True
        if isinstance(current, sa_exc.OperationalError) and "database is locked" in str(current):
            return True  # SQLite, another writer held it past the busy timeout
        current = current.__cause__ or current.__context__
    return False


def _raised_in_driver(exc: BaseException) -> bool:
    return any(
        str(frame.f_globals.get("__name__", "")).startswith(DRIVERS)
        for frame, _ in traceback.walk_tb(exc.__traceback__)
    )


@web.middleware
async def db_unavailable_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Inside `error_middleware`: turns a lost database into 503 + Retry-After before it becomes a 500."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.__class__.__name__)
        return unavailable()


def unavailable() -> web.Response:
    body = {"error": {"code": "database_unavailable", "message": MESSAGE}}
    return web.json_response(body, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def socket_database_unavailable(ws: web.WebSocketResponse | None) -> web.StreamResponse:
    """A chat socket whose handler lost the database: an error frame and close code 1013 ("try again
    later") once it is open; a 503 before the upgrade. Whatever the socket sent and had acknowledged is
    stored; what was not acknowledged the widget sends again after reconnecting."""
    if ws is None or not ws.prepared:
        return unavailable()
    if not ws.closed:
        with contextlib.suppress(ConnectionError, RuntimeError):
            frame = {"type": "error", "code": "database_unavailable", "message": MESSAGE, "seq": 0}
            await ws.send_json(frame)
            await ws.close(code=TRY_AGAIN_LATER, message=b"database unavailable; try again later")
    return ws
