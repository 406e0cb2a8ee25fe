"""`/agent/ws`: authenticate the agent console's socket, send the snapshot, then run a `ConsoleSocket`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any

from aiohttp import WSMsgType, web

from config import KundresaError, ValidationError, safe_json
from infra.app_keys import SESSIONS
from router.auth import USERS_TOPIC, check_role
from router.console_socket import ConsoleSocket
from router.console_views import snapshot
from router.models import User
from router.token_guard import authenticate_request
from router.web import BUS, bearer

log = logging.getLogger("kundresa.console")
CONSOLES = web.AppKey("agent_consoles", weakref.WeakSet[web.WebSocketResponse])
AUTH_SECONDS = 10.0  # how long a new console socket may take to send its `auth` frame
REVOKED = "your API token was replaced by an admin; log in with the new one"


async def _refuse(
    ws: web.WebSocketResponse, code: str, message: str, close_code: int
) -> web.WebSocketResponse:
    """An error frame, then a close whose reason is the error code (what a browser's `close` shows)."""
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.send_json({"type": "error", "code": code, "message": message})
        await ws.close(code=close_code, message=code.encode())
    return ws


async def _first_frame_token(ws: web.WebSocketResponse) -> str | None:
    """The token of the console's first frame, `{"type":"auth","token":…}`; None when it is not that."""
    try:
        msg = await ws.receive(timeout=AUTH_SECONDS)
    except TimeoutError:
        return None
    if msg.type != WSMsgType.TEXT or len(msg.data) > 1000:
        return None
    try:
        frame = safe_json.loads(msg.data, what="frame")
    except ValidationError:
        return None
    if not isinstance(frame, dict) or frame.get("type") != "auth" or not isinstance(frame.get("token"), str):
        return None
    return str(frame["token"]).strip() or None


async def _console_user(session: Any, request: web.Request, token: str | None) -> tuple[User, dict[str, Any]]:
    user = await authenticate_request(session, request, token)
    check_role(user, "agent")  # admins rank above agents
    return user, await snapshot(session, user)


async def agent_ws(request: web.Request) -> web.StreamResponse:
    """The console's socket. A browser authenticates with its first frame, `{"type":"auth","token":…}`
    (a token in the URL ends up in access logs and browser history: `?token=` is refused, unread); other
    clients may send `Authorization: Bearer` with the upgrade instead (401 JSON before any upgrade)."""
    if "token" in request.query:
        message = 'never put the token in the URL: send it in the first frame, {"type":"auth","token":…}'
        if request.headers.get("Upgrade", "").lower() != "websocket":
            raise ValidationError(message, code="token_in_url")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        return await _refuse(ws, "token_in_url", message, 4400)
    header = bearer(request)
    if header is not None or request.headers.get("Upgrade", "").lower() != "websocket":
        async with request.app[SESSIONS]() as session:
            user, first = await _console_user(session, request, header)  # 401/403/429 JSON, no upgrade
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
        await ws.prepare(request)
    else:
        ws = web.WebSocketResponse(heartbeat=30, max_msg_size=4096)
        await ws.prepare(request)
        token = await _first_frame_token(ws)
        if token is None:
            message = f'send {{"type":"auth","token":…}} as the first frame, within {AUTH_SECONDS:.0f} s'
            return await _refuse(ws, "unauthorized", message, 4401)
        try:
            async with request.app[SESSIONS]() as session:
                user, first = await _console_user(session, request, token)
        except KundresaError as exc:
            close_code = {401: 4401, 403: 4403, 429: 4429}.get(exc.status, 4400)
            return await _refuse(ws, exc.code, exc.message, close_code)
    console = ConsoleSocket(request.app, ws, user.id)
    bus = request.app[BUS]
    topics = ("tickets", "conversation", "typing")
    unsubscribe = [bus.subscribe(topic, console.listen) for topic in topics]

    async def revoked(topic: str, data: dict[str, Any]) -> None:
        """The token this socket was opened with was replaced (`POST /api/users/{id}/token`)."""
        if data.get("user_id") == user.id and data.get("event") == "token_rotated" and not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await ws.send_json({"type": "error", "code": "token_revoked", "message": REVOKED})
                await ws.close(code=4401, message=b"token_revoked")

    unsubscribe.append(bus.subscribe(USERS_TOPIC, revoked))
    request.app[CONSOLES].add(ws)
    writer = asyncio.get_running_loop().create_task(console.write())
    try:
        await ws.send_json(first)
        async for msg in ws:
            if msg.type == WSMsgType.TEXT and msg.data == "ping":
                await ws.send_str("pong")
            elif msg.type == WSMsgType.TEXT:
                try:
                    await console.handle(msg.data)
                except (ConnectionError, RuntimeError):
                    raise
                except Exception:  # the socket stays usable
                    log.exception("agent console frame failed")
                    await console.error("internal", "that frame could not be handled; try again")
            elif msg.type == WSMsgType.BINARY:
                await console.error("binary_not_supported", "send JSON text frames, not binary")
            elif msg.type == WSMsgType.ERROR:
                break
    except (ConnectionError, RuntimeError):
        pass
    finally:
        for off in unsubscribe:
            off()
        request.app[CONSOLES].discard(ws)
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer
    return ws


async def close_consoles(app: web.Application) -> None:
    consoles = app[CONSOLES]
    for ws in list(consoles):
        with contextlib.suppress(Exception):
            await ws.close(code=1001, message=b"server shutting down")
