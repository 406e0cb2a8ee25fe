"""The web chat's way out: `WebChatChannel`, the `router.channel.Channel` for browsers.

It knows which open sockets belong to which conversation and hands each of them what the router delivers
and what the event bus announces; each socket's `OrderedSocket` (`ordered_socket.py`, `sequencer.py`) sends
them strictly in `seq` order. Resume and gap fills read the stored frames through `rows` and `history`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import update

from bot.channels.webchat.limits import RateLimiter, RateLimits, SocketPacer
from bot.channels.webchat.lookup import Lookups
from bot.channels.webchat.sequencer import Frame
from bot.channels.webchat.status import StatusBoard
from config import UnavailableError, ValidationError
from infra.db import utcnow
from router import conversations as convs
from router.client_ip import client_ip, proxy_networks
from router.lookup import Who
from router.models import Conversation

if TYPE_CHECKING:
    from bot.channels.webchat.inbound import ChatSession
    from bot.channels.webchat.ordered_socket import OrderedSocket
    from router.service import Router

__all__ = ["WebChatChannel"]

log = logging.getLogger("kundresa.webchat")
EPHEMERAL = frozenset({"typing", "error"})  # frames that are not stored: they carry the latest seq
HISTORY_LIMIT = 500  # frames one resume (or gap fill) reads at most; the client resumes again for more


class WebChatChannel:
    """`router.channel.Channel` for browsers: frames go to every open socket of the conversation, in order.

    Stored frames arrive twice, and both are welcome (the sequencer drops the second): from `deliver` (the
    router's own replies, and replies other processes stored, via `router.pg_events`) and from the event
    bus's `conversation` topic, which also announces the seqs a socket must skip (internal notes) and the
    customer's messages, echoed to the conversation's other sockets (a second tab shows them too).
    """

    name = "web"

    def __init__(self, trusted_proxies: list[str] | None = None, pacer: SocketPacer | None = None) -> None:
        self.sockets: defaultdict[int, set[OrderedSocket]] = defaultdict(set)  # by conversation
        self.sessions: set[ChatSession] = set()  # every open socket's, bound or not
        self._unbound: dict[Who, list[ChatSession]] = {}  # by identity, until bound
        self._limits = RateLimits()
        self._connections = RateLimits()
        self._handoffs = RateLimits()  # asks for a person, per client address
        self.pacer = pacer or SocketPacer(0, 1)  # new sockets of this process a second (0: any number)
        self.proxies = proxy_networks(trusted_proxies or [])
        self._router: Router | None = None
        self._lookups: Lookups | None = None
        self.board = StatusBoard(self)  # `status` frames: the queue, the wait, who has the ticket
        self._away: set[asyncio.Task[None]] = set()

    def attach(self, router: Router) -> None:
        """Follow the router's event bus (once; the first socket does it)."""
        if self._router is None:
            self._router = router
            self._lookups = Lookups(router.sessions)
            router.bus.subscribe("conversation", self.on_event)
            router.bus.subscribe("tickets", self.board.on_event)
            router.bus.subscribe("agents", self.board.on_event)

    @property
    def attached(self) -> bool:
        return self._router is not None

    @property
    def router(self) -> Router:
        """The router this channel follows; there is none before the first socket `attach`es it."""
        if self._router is None:
            raise UnavailableError("the web chat is not attached to the router yet", code="webchat_detached")
        return self._router

    def lookups(self) -> Lookups:
        if self._lookups is None:
            raise UnavailableError("the web chat is not attached to the router yet", code="webchat_detached")
        return self._lookups

    def limiter(self, key: Any, per_minute: int) -> RateLimiter:
        return self._limits.get(key, per_minute)

    def client_ip(self, request: web.Request) -> str:
        return client_ip(request, self.proxies)

    def may_connect(self, ip: str, per_minute: int) -> bool:
        """Whether a client address may open another chat socket this minute (0: no limit)."""
        return per_minute <= 0 or self._connections.get(ip, per_minute).allow()

    def may_hand_off(self, ip: str, per_minute: int) -> bool:
        """Whether a client address may ask for a person once more this minute (0: no limit)."""
        return per_minute <= 0 or self._handoffs.get(ip, per_minute).allow()

    # -- sockets -------------------------------------------------------------------------------------
    def open(self, session: ChatSession) -> None:
        self.sessions.add(session)
        self._unbound.setdefault(session.identity.key, []).append(session)
        session.queued = asyncio.get_running_loop().create_task(session.lookup_in_background())

    async def bind(self, session: ChatSession, conversation_id: int, head: int) -> None:
        """`session` belongs to this conversation from `head` on; so do the other sockets of the same
        identity in this process that did not know theirs yet (tabs opened before the first message)."""
        if session not in self.sessions:
            return  # closed while its look-up ran
        key = session.identity.key
        waiting = self._unbound.pop(key, [])
        for other in [session, *(s for s in waiting if s is not session)]:
            old = other.out.conversation_id
            if old is not None:
                self.sockets[old].discard(other.out)
                if not self.sockets[old]:
                    del self.sockets[old]
            self.sockets[conversation_id].add(other.out)
            await other.out.bind(conversation_id, head)
        self._limits.move(key, conversation_id)

    async def closed(self, session: ChatSession) -> None:
        self.sessions.discard(session)
        key = session.identity.key
        waiting = self._unbound.get(key)
        if waiting is not None:
            with contextlib.suppress(ValueError):
                waiting.remove(session)
            if not waiting:
                del self._unbound[key]
        self.board.subscribers.discard(session.out)
        conv = session.out.conversation_id
        if conv is not None and conv in self.sockets:
            self.sockets[conv].discard(session.out)
            if not self.sockets[conv]:
                del self.sockets[conv]
                status = self.board.sent.pop(conv, None)
                if status and status.get("reply_email") and status.get("queue"):
                    self._mark_away(conv)  # replies may go by email once they have been away a while
        if session.queued is not None and not session.queued.done():
            session.queued.cancel()
        await session.out.close()

    # -- frames in -----------------------------------------------------------------------------------
    async def deliver(self, conversation_id: int, address: dict[str, Any], frame: dict[str, Any]) -> bool:
        sockets = [s for s in self.sockets.get(conversation_id, ()) if not s.closed]
        for out in sockets:
            if frame.get("type") in EPHEMERAL:
                await out.ephemeral(frame)
            else:
                await out.offer(int(frame["seq"]), frame)
        return bool(sockets)

    async def on_event(self, topic: str, data: dict[str, Any]) -> None:
        """A `conversation` event (this process's or, through the bridge, another's): a stored seq."""
        sockets = self.sockets.get(data.get("conversation_id"))  # type: ignore[arg-type]
        seq = data.get("seq")
        if not sockets or not isinstance(seq, int):
            return
        frame = data.get("frame")
        for out in list(sockets):
            if data.get("internal"):
                await out.offer(seq, None)  # an internal note: nothing for the customer
            elif isinstance(frame, dict):
                await out.offer(seq, frame)
            elif data.get("author") == "customer" and isinstance(data.get("text"), str):
                echo = _echo(seq, data)
                if echo["id"] is not None and echo["id"] == out.inflight:
                    await out.hold(seq, echo)  # this socket's own message: its ack goes there
                else:
                    await out.offer(seq, echo)

    def _mark_away(self, conversation_id: int) -> None:
        router = self.router

        async def mark() -> None:
            try:
                async with router.sessions() as session, session.begin():
                    await session.execute(
                        update(Conversation)
                        .where(Conversation.id == conversation_id, Conversation.away_since.is_(None))
                        .values(away_since=utcnow())
                    )
            except Exception:
                log.warning("could not mark conversation %s away", conversation_id, exc_info=True)

        task = asyncio.get_running_loop().create_task(mark())
        self._away.add(task)
        task.add_done_callback(self._away.discard)

    def online(self, conversation_id: int) -> bool:
        return any(not out.closed for out in self.sockets.get(conversation_id, ()))

    # -- the database ----------------------------------------------------------------------------------
    async def rows(self, conversation_id: int, after: int, upto: int) -> list[tuple[int, Frame]]:
        """Stored frames with seq in (after, upto] (not internal notes), as resume replays them."""
        async with self.router.sessions() as session:
            found = await convs.messages_after(session, conversation_id, after, limit=HISTORY_LIMIT)
        return [(m.seq, convs.replay_frame(m)) for m in found if m.seq <= upto]

    async def history(self, conversation_id: int, after: int) -> tuple[list[tuple[int, Frame]], bool]:
        """What `resume` replays: the stored frames after `after`; and whether that is all of them."""
        async with self.router.sessions() as session:
            conv = await session.get(Conversation, conversation_id)
            head = (conv.next_seq - 1) if conv is not None else 0
            if after < 0 or after > head:
                raise ValidationError(f"resume 'after' must be between 0 and {head}", code="invalid_resume")
            found = await convs.messages_after(session, conversation_id, after, limit=HISTORY_LIMIT)
        return [(m.seq, convs.replay_frame(m)) for m in found], len(found) < HISTORY_LIMIT

    # -- shutting down -------------------------------------------------------------------------------
    async def close_all(
        self, code: int = 1001, message: bytes = b"server shutting down", notice: Frame | None = None
    ) -> None:
        """Close every chat socket with `code` (1012 "service restart" on a rolling restart), after an
        optional ephemeral `notice` frame (e.g. a reconnect hint); the clients resume where they were."""
        for session in list(self.sessions):
            with contextlib.suppress(Exception):
                if notice is not None and not session.ws.closed:
                    await session.out.ephemeral(notice)
                await session.ws.close(code=code, message=message)
        if self._lookups is not None:
            await self._lookups.close()
        await self.board.close()
        for task in list(self._away):
            with contextlib.suppress(Exception):
                await task


def _echo(seq: int, data: dict[str, Any]) -> Frame:
    """A customer's message as the conversation's other sockets get it: as `resume` replays it."""
    return {
        "type": "message",
        "author": "customer",
        "id": data.get("client_id"),
        "text": data["text"],
        "seq": seq,
    }
