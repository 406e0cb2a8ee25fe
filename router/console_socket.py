"""One agent console socket's two directions: bus events queued and pushed as frames; `typing` frames in.

Event-bus listeners only enqueue (publishers never wait on a slow console); one writer task per socket
looks the rows up and sends them. The console sends `{"type":"typing","ticket":ID}` while the agent writes
a reply: the customer of that (open, assigned or waiting) ticket gets an ephemeral
`{"type":"typing","who":"agent","seq":N}` on the channel they are on now (`Router.typing`: not stored, not
published). Bad input gets `{"type":"error","code":…,"message":…}` on this socket, which stays open.
The other way round, a customer writing in the web chat (its `typing` frame, published on the bus's
`typing` topic) reaches every console as
`{"type":"typing","who":"customer","ticket_id":ID,"conversation_id":ID}` while the ticket is active.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from aiohttp import web
from sqlalchemy import select

from config import KundresaError, ValidationError, safe_json
from infra.app_keys import SESSIONS
from router import tickets as tk
from router.auth import check_role
from router.console_views import ticket_view
from router.conversations import message_json
from router.models import Message, Ticket, User
from router.web import MAX_ID, ROUTER

log = logging.getLogger("kundresa.console")
QUEUE_LIMIT = 1000  # events waiting for one console; past this the console is closed to resync
# Typing frames one console socket may send (the page sends one per ticket every ~3 s while the agent
# writes); more than these are dropped without a reply, so a buggy client cannot flood customers.
TYPING_PER_TICKET_SECONDS = 1.0
TYPING_PER_SECOND = 5  # over all tickets, counting bad ticket ids too: each costs a lookup


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
