"""The web chat's way in: one socket's session parses its frames (checked in `frames.py`), enforces the limits
and hands valid ones to the router and the dialogue.

A socket opens without writing anything. Its conversation is looked up in the background (read-only,
`router.lookup`), and the customer and conversation rows are written by the first action that needs them
(`ensure`: a message, choose, human, feedback, csat, or resume when the customer is known but the lookup
alone cannot say where their history is without a write).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from bot.buttons import AlreadyRated
from bot.channels.webchat.email_links import mask_email, valid_email
from bot.channels.webchat.frames import check_frame, echo_id, shown
from bot.channels.webchat.identity import ChatIdentity
from bot.channels.webchat.ordered_socket import OrderedSocket
from bot.dialogue import Dialogue
from config import KundresaError, RateLimitedError, Settings, ValidationError, safe_json
from router import conversations as convs
from router.masking import mask_sensitive
from router.service import Router, stored_client_id

if TYPE_CHECKING:
    from bot.channels.webchat.limits import RateLimiter
    from bot.channels.webchat.outbound import WebChatChannel

log = logging.getLogger("kundresa.webchat")
LIMITED = ("message", "choose", "human", "feedback", "email")  # frame types that count against the rate limit
TYPING_EVERY = 2.0  # seconds between the customer's typing hints one socket passes on to agents


def ack_of(client_id: str, seq: int, stored: str, sent: str) -> dict[str, Any]:
    """The `ack` of a stored message; with the stored text when it differs from what was sent (masked: the
    widget shows and keeps the stored form)."""
    ack: dict[str, Any] = {"type": "ack", "id": client_id, "seq": seq}
    if stored != sent.strip():
        ack["text"] = stored
    return ack


class ChatSession:
    # Thousands of idle sockets are normal (bench/idle_sockets.py): slots keep each one small.
    __slots__ = (
        "_looked", "_resume_at", "_resume_tokens", "_typing_at", "channel", "complete", "context",
        "dialogue", "identity", "ip", "known_customer", "lang", "out", "queued", "router", "settings",
        "wants_status", "ws",
    )  # fmt: skip

    def __init__(
        self,
        ws: web.WebSocketResponse,
        channel: WebChatChannel,
        router: Router,
        dialogue: Dialogue,
        settings: Settings,
        identity: ChatIdentity,
    ) -> None:
        self.ws, self.channel, self.router, self.dialogue = ws, channel, router, dialogue
        self.settings = settings
        self.identity = identity
        self.context = identity.context
        self.lang = identity.lang  # the widget's language: answers to messages too short to tell come in it
        self.out = OrderedSocket(ws, channel.rows)
        self.complete = False  # the rows for this identity exist and need no change (`ensure` writes nothing)
        self.known_customer = False
        self._looked = False  # the look-up is done
        self._typing_at = float("-inf")  # when this socket last passed on a typing hint
        self.queued: asyncio.Task[None] | None = None  # the look-up on open (dropped when done)
        # `resume`'s token bucket: each replays up to 500 stored frames, so a flood of them must not be
        # a way to make the server read and send thousands (per socket: a new socket costs its own limit).
        self._resume_tokens = float(settings.chat.resume_burst)
        self._resume_at = time.monotonic()
        self.wants_status = False  # query `status=1`: `status` frames (`status.py`)
        self.ip = ""  # the client's address (set on open): asks for a person are limited per address

    @property
    def conversation_id(self) -> int | None:
        return self.out.conversation_id

    # -- which conversation ------------------------------------------------------------------------------
    async def lookup_in_background(self) -> None:
        """On open: the socket's customer, in the channel's next batch of look-ups (`lookup.py`)."""
        try:
            await self.known(urgent=False)
        except Exception:  # the socket's first frame that needs it looks up again
            log.warning("could not look up a chat socket's customer", exc_info=True)
        finally:
            self.queued = None

    async def known(self, *, urgent: bool = True) -> None:
        """Look up this socket's customer (read-only), unless done already. `urgent`: a customer waits for
        an answer, so ahead of the sockets opened in a burst; else in turn (a widget's `resume` on open:
        during a burst its history may come a little later, chat answers do not)."""
        if self._looked:
            return
        # Shared with the other tabs of the same customer: a closing socket must not cancel it.
        found = await asyncio.shield(self.channel.lookups().find(self.identity.key, urgent=urgent))
        if self._looked:
            return
        self.known_customer = found is not None
        if found is not None and found.conversation_id is not None and self.conversation_id is None:
            self.complete = found.complete
            await self.channel.bind(self, found.conversation_id, found.head)
        self._looked = True

    async def ensure(self) -> int:
        """The conversation, creating the customer and conversation rows if they are not there yet."""
        conv_id = self.conversation_id
        if conv_id is not None and self.complete:
            return conv_id
        ident = self.identity
        _, conv_id = await self.router.identify(
            list(ident.evidence), email=ident.email, name=ident.name, vip=ident.vip or None
        )
        self.complete = self.known_customer = True
        # Its latest seq now: a merge may have folded another conversation in (that history is the
        # client's to resume; live frames start after it).
        conv = await self.router.conversation(conv_id)
        await self.channel.bind(self, conv_id, (conv.next_seq - 1) if conv is not None else 0)
        return conv_id

    def limiter(self) -> RateLimiter:
        # Per conversation, not per socket: reconnecting (or a second tab) does not reset the budget.
        per_minute = self.settings.chat.messages_per_minute
        key: Any = self.conversation_id if self.conversation_id is not None else self.identity.key
        return self.channel.limiter(key, per_minute)

    def resume_allowed(self) -> bool:
        """Take a token from this socket's `resume` bucket (`chat.resume_burst`, refilled at
        `chat.resumes_per_minute`; 0 per minute: no limit)."""
        chat = self.settings.chat
        if chat.resumes_per_minute <= 0:
            return True
        now = time.monotonic()
        refill = (now - self._resume_at) * chat.resumes_per_minute / 60.0
        self._resume_tokens = min(float(max(chat.resume_burst, 1)), self._resume_tokens + refill)
        self._resume_at = now
        if self._resume_tokens < 1.0:
            return False
        self._resume_tokens -= 1.0
        return True

    # -- frames ------------------------------------------------------------------------------------------
    async def error(self, code: str, message: str, **extra: Any) -> None:
        # About this socket's input, not stored: its seq is that of the last frame this socket was sent.
        await self.out.ephemeral({"type": "error", "code": code, "message": message, "seq": 0, **extra})

    async def handle(self, raw: Any, kind: WSMsgType) -> None:
        if kind == WSMsgType.BINARY:
            await self.error("binary_not_supported", "send JSON text frames, not binary")
            return
        limit = self.settings.chat.max_message_bytes
        if len(raw.encode("utf-8")) > 4 * limit + 1024:
            await self.error("too_large", f"frame over {4 * limit + 1024} bytes")
            return
        try:
            frame = safe_json.loads_object(raw, what="frame", code="invalid_json")
        except ValidationError as exc:  # too deep, huge numbers, NUL, lone surrogates, not an object
            await self.error(exc.code, exc.message)
            return
        raw_kind = frame.get("type")
        kind_ = raw_kind if isinstance(raw_kind, str) else ""  # "" is no frame type
        handler = {
            "message": self.on_message,
            "choose": self.on_choose,
            "human": self.on_human,
            "csat": self.on_csat,
            "resume": self.on_resume,
            "feedback": self.on_feedback,
            "typing": self.on_typing,
            "email": self.on_email,
        }.get(kind_)
        if handler is None:
            await self.error("unknown_type", f"unknown frame type {shown(raw_kind)}")
            return
        if kind_ == "resume" and not self.resume_allowed():
            await self.error("rate_limited", "too many resume requests; wait a moment")
            return
        if kind_ in LIMITED:
            await self.known()  # a returning customer's budget is their conversation's
            if not self.limiter().allow():
                if kind_ == "message" and await self._ack_stored(frame):
                    return  # a resend of a stored message is answered with its ack, limit or not
                await self.error("rate_limited", "too many messages; wait a moment", id=echo_id(frame))
                return
        try:
            check_frame(kind_, frame, self.settings.chat.max_message_bytes)  # before any row is written
            if kind_ in ("choose", "human", "feedback", "csat", "email"):
                await self.here()
            await handler(frame)
        except KundresaError as exc:
            await self.error(exc.code, exc.message, id=echo_id(frame))

    async def _ack_stored(self, frame: dict[str, Any]) -> bool:
        """Send the ack of a message stored before under this frame's client id (a client retrying after a
        lost ack): True when there was one. Read-only, so it costs a refused flood nothing to write."""
        client_id, conv_id = frame.get("id"), self.conversation_id
        if not isinstance(client_id, str) or not client_id or conv_id is None:
            return False
        async with self.router.sessions() as session:
            stored = await convs.client_message(session, conv_id, stored_client_id(client_id))
        if stored is None:
            return False
        await self.out.ack(ack_of(client_id, stored.seq, stored.text, str(frame.get("text", ""))))
        return True

    async def here(self) -> None:
        """Like a stored message, any action on this socket puts the customer on web, on this page: replies
        are delivered here (even before their first message) and a ticket gets the page context."""
        conv_id = await self.ensure()
        async with self.router.lock(conv_id), self.router.sessions() as session, session.begin():
            conv = await convs.lock(session, conv_id)
            conv.last_channel, conv.last_address = "web", {}
            if self.context:
                conv.context = dict(self.context)

    async def on_message(self, frame: dict[str, Any]) -> None:
        began = time.perf_counter()
        text, client_id = str(frame["text"]), str(frame["id"])  # as `check_frame` found them
        # The search starts now and runs while the message is being stored (the answer comes sooner);
        # it is only used once the message is stored, and dropped if the turn needs none (a person owns
        # the conversation, a resent message): an encode call wasted then, which is cheap.
        masked = mask_sensitive(text.strip())  # once: searched, stored and acknowledged in this form
        prefetched = self.dialogue.prefetch(masked.text)
        try:
            conv_id = await self.ensure()
            self.out.inflight = client_id  # its echo on the bus waits for the ack (`OrderedSocket.hold`)
            try:
                inbound = await self.router.receive(
                    conv_id,
                    channel="web",
                    address={},
                    text=text.strip(),
                    masked=masked,
                    client_id=client_id,
                    context=self.context,
                )
                await self.out.ack(ack_of(client_id, inbound.seq, inbound.text, text))
                self.dialogue.metrics.observe("store", time.perf_counter() - began)
            finally:
                self.out.inflight = None
                await self.out.release()
            if inbound.owner == "bot" and not inbound.duplicate:
                await self.out.ephemeral({"type": "typing", "who": "bot", "seq": inbound.seq})
        except BaseException:
            self.dialogue.discard(prefetched)
            raise
        await self._after(await self.dialogue.respond(inbound, prefetched, self.lang))
        if inbound.owner == "bot" and not inbound.duplicate:
            self.dialogue.metrics.observe("turn", time.perf_counter() - began)

    async def _after(self, frames: list[dict[str, Any]]) -> None:
        """After a turn that handed the conversation over: the customer sees the queue at once."""
        if any(f.get("type") == "handoff" for f in frames):
            await self.channel.board.send(self.conversation_id)

    async def on_typing(self, frame: dict[str, Any]) -> None:
        """The customer is writing: agent consoles show it (bus topic `typing`, never stored). Only for a
        known conversation, at most once per TYPING_EVERY seconds per socket; no answer."""
        now = time.monotonic()
        if self.conversation_id is None or now - self._typing_at < TYPING_EVERY:
            return
        self._typing_at = now
        conv = await self.router.conversation(self.conversation_id)
        if conv is not None and conv.owner == "agent":  # while the bot has it, no agent is watching
            await self.router.bus.publish("typing", {"conversation_id": conv.id, "who": "customer"})

    async def on_choose(self, frame: dict[str, Any]) -> None:
        await self.dialogue.buttons.choose(await self.ensure(), str(frame["article"]))

    async def on_human(self, frame: dict[str, Any]) -> None:
        if not self.channel.may_hand_off(self.ip, self.settings.chat.handoffs_per_minute_per_ip):
            message = "too many requests for a person from your network; wait a minute"
            await self.error(RateLimitedError.code, message, limit="handoffs")
            return
        await self._after(await self.dialogue.buttons.human(await self.ensure(), self.lang))

    async def on_feedback(self, frame: dict[str, Any]) -> None:
        frames = await self.dialogue.buttons.feedback(await self.ensure(), bool(frame["helpful"]), self.lang)
        await self._after(frames)

    async def on_csat(self, frame: dict[str, Any]) -> None:
        try:
            await self.dialogue.buttons.csat(await self.ensure(), int(frame["score"]), self.lang)
        except AlreadyRated as rated:  # the stored score stands: the widget shows the card as rated
            await self.error(rated.code, rated.message, ticket=rated.ticket, score=rated.score)

    async def on_email(self, frame: dict[str, Any]) -> None:
        """The customer leaves an address for the reply, should they have left when a person answers."""
        address = valid_email(frame.get("address"))
        conv_id = await self.ensure()
        await self.dialogue.buttons.leave_email(
            conv_id, address, mask_email(address) or "", self.lang or "sv"
        )
        await self.channel.board.send(conv_id)

    async def on_resume(self, frame: dict[str, Any]) -> None:
        after = int(frame["after"])
        await self.known(urgent=False)
        if self.known_customer and not self.complete:
            await self.ensure()  # e.g. an anonymous customer folded into the verified one: history moves
        conv_id = self.conversation_id
        if conv_id is None:  # nobody known: nothing to replay, and nothing is written
            if after != 0:
                raise ValidationError("resume 'after' must be between 0 and 0", code="invalid_resume")
            if self.wants_status:
                await self.channel.board.send(None, self.out)  # the limits, for a new visitor
            return
        rows, complete = await self.channel.history(conv_id, after)
        if conv_id == self.conversation_id:
            await self.out.replay(after, rows, complete)
            if self.wants_status:
                await self.channel.board.send(conv_id, self.out)
