"""The agent console: `/agent` (the page and its ES modules, `/agent/*.js`) and `/agent/ws`, a socket that
keeps it live. `/console/*.js` holds the helpers the agent console and the admin console (`bot.http.admin`)
share.

The socket sends a snapshot on connect, then pushes every ticket change and every message added to a
conversation with an active ticket. Event-bus listeners only enqueue (publishers never wait on a slow
console); one writer task per socket looks the rows up and sends them.

The console sends `{"type":"typing","ticket":ID}` while the agent writes a reply: the customer of that
(open, assigned or waiting) ticket gets an ephemeral `{"type":"typing","who":"agent","seq":N}` on the
channel they are on now (`Router.typing`: not stored, not published). Bad input gets
`{"type":"error","code":…,"message":…}` on this socket, which stays open. The other way round, a customer
writing in the web chat (its `typing` frame, published on the bus's `typing` topic) reaches every console
as `{"type":"typing","who":"customer","ticket_id":ID,"conversation_id":ID}` while the ticket is active.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections import deque
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web
from sqlalchemy import select

from config import KundresaError, ValidationError, safe_json
from infra.app_keys import SESSIONS, SETTINGS
from router import tickets as tk
from router.assets import add_assets, js_modules, page
from router.auth import check_role
from router.conversations import message_json
from router.history import display_name
from router.models import Customer, Message, Ticket, User
from router.token_guard import authenticate_request
from router.web import BUS, MAX_ID, ROUTER, bearer

log = logging.getLogger("kundresa.console")
STATIC = Path(__file__).resolve().parent / "static"
CONSOLES = web.AppKey("agent_consoles", weakref.WeakSet[web.WebSocketResponse])
QUEUE_LIMIT = 1000  # events waiting for one console; past this the console is closed to resync
# Typing frames one console socket may send (the page sends one per ticket every ~3 s while the agent
# writes); more than these are dropped without a reply, so a buggy client cannot flood customers.
TYPING_PER_TICKET_SECONDS = 1.0
TYPING_PER_SECOND = 5  # over all tickets, counting bad ticket ids too: each costs a lookup
AUTH_SECONDS = 10.0  # how long a new console socket may take to send its `auth` frame


async def agent_page(request: web.Request) -> web.Response:
    csp = (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self' ws: wss:; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return page(request, STATIC / "agent.html", csp)


# -- JSON views ---------------------------------------------------------------------------------------
async def ticket_view(session: Any, ticket: Ticket) -> dict[str, Any]:
    """`ticket_json` plus what the console shows in a list: the customer and the assignee's name."""
    data = tk.ticket_json(ticket)
    customer = await session.get(Customer, ticket.customer_id)
    data["customer"] = (
        {
            "id": customer.id,
            "name": customer.name,
            "email": customer.email,
            "vip": customer.vip,
            "display_name": await display_name(session, customer),
        }
        if customer is not None
        else None
    )
    assignee = await session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    data["assignee"] = assignee.name if assignee is not None else None
    return data


async def snapshot(session: Any, user: User) -> dict[str, Any]:
    queue = await session.scalars(
        select(Ticket).where(Ticket.status == "open").order_by(Ticket.priority.desc(), Ticket.id).limit(500)
    )
    mine = await session.scalars(
        select(Ticket)
        .where(Ticket.assignee_id == user.id, Ticket.status.in_(tk.OPEN_STATUSES))
        .order_by(Ticket.priority.desc(), Ticket.id)
        .limit(500)
    )
    return {
        "type": "snapshot",
        "queue": [await ticket_view(session, t) for t in queue],
        "mine": [await ticket_view(session, t) for t in mine],
        "agent": {
            "id": user.id,
            "name": user.name,
            "team": user.team,
            "presence": user.presence,
            "role": user.role,
        },
    }


# -- the socket ---------------------------------------------------------------------------------------
class ConsoleSocket:
    def __init__(self, app: web.Application, ws: web.WebSocketResponse, user_id: int) -> None:
        self.app, self.ws, self.user_id = app, ws, user_id
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(QUEUE_LIMIT)
        self._typing_at: dict[int, float] = {}  # ticket id -> when its last typing frame was taken
        self._typing_recent: deque[float] = deque(maxlen=TYPING_PER_SECOND)

    async def listen(self, topic: str, data: dict[str, Any]) -> None:
        """Event-bus listener: never waits."""
        try:
            self.queue.put_nowait((topic, dict(data)))
        except asyncio.QueueFull:
            log.warning("agent console too slow; closing it so it reconnects with a fresh snapshot")
            asyncio.get_running_loop().create_task(self.ws.close(code=4408, message=b"too slow"))

    async def frame_for(self, topic: str, data: dict[str, Any]) -> dict[str, Any] | None:
        async with self.app[SESSIONS]() as session:
            if topic == "tickets":
                ticket = await session.get(Ticket, int(data["ticket_id"]))
                if ticket is None:
                    return None
                return {
                    "type": "ticket",
                    "event": data.get("event"),
                    "ticket": await ticket_view(session, ticket),
                }
            conv_id = int(data["conversation_id"])
            ticket = await tk.open_ticket_for(session, conv_id)
            if ticket is None:
                return None
            if topic == "typing":  # the customer is writing: ephemeral, nothing stored
                return {
                    "type": "typing",
                    "who": "customer",
                    "ticket_id": ticket.id,
                    "conversation_id": conv_id,
                }
            seq = int(data["seq"])
            msg = await session.scalar(
                select(Message).where(Message.conversation_id == conv_id, Message.seq == seq)
            )
            if msg is None:
                return None
            return {
                "type": "message",
                "conversation_id": conv_id,
                "ticket_id": ticket.id,
                "ticket": await ticket_view(session, ticket),
                "message": message_json(msg),
            }

    # -- what the console sends -----------------------------------------------------------------------
    async def error(self, code: str, message: str, **extra: Any) -> None:
        await self.ws.send_json({"type": "error", "code": code, "message": message, **extra})

    async def handle(self, raw: str) -> None:
        """One text frame from the console (other than the "ping" keep-alive)."""
        try:
            frame = safe_json.loads_object(raw, what="frame", code="invalid_json")
        except ValidationError as exc:  # too deep, huge numbers, NUL, lone surrogates, not an object
            await self.error(exc.code, exc.message)
            return
        kind = frame.get("type")
        if kind != "typing":
            await self.error("unknown_type", f"unknown frame type {str(kind)[:40]!r}")
            return
        await self.on_typing(frame)

    def typing_allowed(self, ticket_id: int) -> bool:
        """At most one typing frame per ticket per `TYPING_PER_TICKET_SECONDS`, `TYPING_PER_SECOND` in all."""
        now = time.monotonic()
        recent = self._typing_recent
        if len(recent) == TYPING_PER_SECOND and now - recent[0] < 1.0:
            return False
        last = self._typing_at.get(ticket_id)
        if last is not None and now - last < TYPING_PER_TICKET_SECONDS:
            return False
        if len(self._typing_at) >= 256:  # forget tickets not typed in lately
            self._typing_at = {
                t: at for t, at in self._typing_at.items() if now - at < TYPING_PER_TICKET_SECONDS
            }
        self._typing_at[ticket_id] = now
        recent.append(now)
        return True

    async def on_typing(self, frame: dict[str, Any]) -> None:
        ticket_id = frame.get("ticket")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool) or not 0 < ticket_id <= MAX_ID:
            await self.error("invalid_ticket", "'typing' needs 'ticket': a ticket id")
            return
        if not self.typing_allowed(ticket_id):
            return  # too often: dropped, the customer saw one a moment ago
        async with self.app[SESSIONS]() as session:
            user = await session.get(User, self.user_id)
            if user is None:
                await self.error("unauthorized", "this agent no longer exists", ticket=ticket_id)
                return
            try:
                check_role(user, "agent")  # a role taken away since the socket opened
            except KundresaError as exc:
                await self.error(exc.code, exc.message, ticket=ticket_id)
                return
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                await self.error("not_found", f"no ticket {ticket_id}", ticket=ticket_id)
                return
            if ticket.status not in tk.OPEN_STATUSES:
                await self.error(
                    "conflict",
                    f"ticket {ticket_id} is {ticket.status}: the customer is not waiting for an agent",
                    ticket=ticket_id,
                )
                return
            conversation_id = ticket.conversation_id
        # Delivered by this process only: a customer whose socket another process holds misses it.
        await self.app[ROUTER].typing(conversation_id)

    async def write(self) -> None:
        while not self.ws.closed:
            topic, data = await self.queue.get()
            try:
                frame = await self.frame_for(topic, data)
                if frame is not None and not self.ws.closed:
                    await self.ws.send_json(frame)
            except (ConnectionError, RuntimeError):
                return
            except Exception:
                log.exception("agent console could not push %s %s", topic, data)


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


async def _close_consoles(app: web.Application) -> None:
    consoles = app[CONSOLES]
    for ws in list(consoles):
        with contextlib.suppress(Exception):
            await ws.close(code=1001, message=b"server shutting down")


async def console_mode(request: web.Request) -> web.Response:
    """Public: whether the server runs in demo mode (both consoles then show a banner)."""
    demo = bool(request.app[SETTINGS].demo)
    return web.json_response({"demo": demo}, headers={"Cache-Control": "no-cache"})


def add_routes(app: web.Application) -> None:
    app[CONSOLES] = weakref.WeakSet()
    app.on_shutdown.append(_close_consoles)
    app.router.add_get("/agent", agent_page)
    # the console's modules, and the helpers both consoles import (this one and bot's /admin)
    add_assets(app, *js_modules(STATIC / "agent", "/agent"), *js_modules(STATIC / "console", "/console"))
    app.router.add_get("/agent/ws", agent_ws)
    app.router.add_get("/api/console/mode", console_mode)
