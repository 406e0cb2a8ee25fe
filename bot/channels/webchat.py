"""The web chat channel: `/ws/chat` WebSockets speaking the protocol in SPEC.md."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections import defaultdict, deque
from typing import Any

from aiohttp import WSMsgType, web

from bot.dialogue import Dialogue
from bot.http.client_ip import client_ip, proxy_networks
from config import KundresaError, Settings, ValidationError
from router import conversations as convs
from router.identity import Evidence
from router.service import Router

log = logging.getLogger("kundresa.webchat")
CONTEXT_KEYS = ("step", "order_id", "amount", "currency")
LANG_RE = re.compile(r"[a-z]{2,3}")  # the widget's `lang` query parameter; anything else is ignored


def sign_user(user: str, secret: str) -> str:
    """What the shop computes: hex HMAC-SHA256 of the user id with the identity secret."""
    return hmac.new(secret.encode("utf-8"), user.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_context(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    if len(raw) > 2000:
        raise ValidationError("context is over 2000 characters", code="invalid_context")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValidationError("context must be a JSON object", code="invalid_context") from exc
    if not isinstance(data, dict):
        raise ValidationError("context must be a JSON object", code="invalid_context")
    out: dict[str, Any] = {}
    for key in CONTEXT_KEYS:
        value = data.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            out[key] = value if not isinstance(value, str) else value[:200]
    return out


class RateLimiter:
    """At most `per_minute` messages in any 60 s window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.times: deque[float] = deque()

    def allow(self) -> bool:
        now = time.monotonic()
        while self.times and now - self.times[0] > 60:
            self.times.popleft()
        if len(self.times) >= self.per_minute:
            return False
        self.times.append(now)
        return True


class RateLimits:
    """A `RateLimiter` per key (a conversation, a client address), forgetting keys idle for a minute."""

    def __init__(self) -> None:
        self._limiters: dict[Any, RateLimiter] = {}

    def get(self, key: Any, per_minute: int) -> RateLimiter:
        limiter = self._limiters.get(key)
        if limiter is None or limiter.per_minute != per_minute:
            if len(self._limiters) > 10_000:  # a full minute's history is all an idle one holds
                now = time.monotonic()
                idle = [k for k, lim in self._limiters.items() if not lim.times or now - lim.times[-1] > 60]
                for key_ in idle:
                    del self._limiters[key_]
            limiter = self._limiters[key] = RateLimiter(per_minute)
        return limiter


class WebChatChannel:
    """`router.channel.Channel` for browsers: frames go to every open socket of the conversation."""

    name = "web"

    def __init__(self, trusted_proxies: list[str] | None = None) -> None:
        self.sockets: defaultdict[int, set[web.WebSocketResponse]] = defaultdict(set)
        # Per conversation, not per socket: reconnecting (or a second tab) does not reset the budget.
        self._limits = RateLimits()
        self._connections = RateLimits()
        self.proxies = proxy_networks(trusted_proxies or [])

    def limiter(self, conversation_id: int, per_minute: int) -> RateLimiter:
        return self._limits.get(conversation_id, per_minute)

    def may_connect(self, request: web.Request, per_minute: int) -> bool:
        """Whether a client address may open another chat socket this minute (0: no limit)."""
        return per_minute <= 0 or self._connections.get(client_ip(request, self.proxies), per_minute).allow()

    async def deliver(self, conversation_id: int, address: dict[str, Any], frame: dict[str, Any]) -> bool:
        sent = False
        for ws in list(self.sockets.get(conversation_id, ())):
            if ws.closed:
                continue
            try:
                await ws.send_json(frame)
                sent = True
            except (ConnectionError, RuntimeError):
                self.sockets[conversation_id].discard(ws)
        return sent

    def online(self, conversation_id: int) -> bool:
        return any(not ws.closed for ws in self.sockets.get(conversation_id, ()))

    async def close_all(self) -> None:
        for sockets in list(self.sockets.values()):
            for ws in list(sockets):
                await ws.close(code=1001, message=b"server shutting down")


class ChatSession:
    """One socket: parses frames, enforces limits, and hands valid ones to the router and dialogue."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        channel: WebChatChannel,
        router: Router,
        dialogue: Dialogue,
        settings: Settings,
        conversation_id: int,
        context: dict[str, Any],
        lang: str | None = None,
    ) -> None:
        self.ws, self.channel, self.router, self.dialogue = ws, channel, router, dialogue
        self.settings = settings
        self.conversation_id = conversation_id
        self.context = context
        self.lang = lang  # the widget's language: answers to messages too short to tell come in it
        self.limiter = channel.limiter(conversation_id, settings.chat.messages_per_minute)

    async def error(self, code: str, message: str, **extra: Any) -> None:
        # Errors are about this socket's input: not stored, so their seq is the conversation's latest.
        conv = await self.router.conversation(self.conversation_id)
        seq = (conv.next_seq - 1) if conv else 0
        await self.ws.send_json({"type": "error", "code": code, "message": message, "seq": seq, **extra})

    async def handle(self, raw: Any, kind: WSMsgType) -> None:
        if kind == WSMsgType.BINARY:
            await self.error("binary_not_supported", "send JSON text frames, not binary")
            return
        limit = self.settings.chat.max_message_bytes
        if len(raw.encode("utf-8")) > 4 * limit + 1024:
            await self.error("too_large", f"frame over {4 * limit + 1024} bytes")
            return
        try:
            frame = json.loads(raw)
        except json.JSONDecodeError:
            await self.error("invalid_json", "every frame must be a JSON object")
            return
        if not isinstance(frame, dict):
            await self.error("invalid_json", "every frame must be a JSON object")
            return
        kind_ = frame.get("type")
        handler = {
            "message": self.on_message,
            "choose": self.on_choose,
            "human": self.on_human,
            "csat": self.on_csat,
            "resume": self.on_resume,
            "feedback": self.on_feedback,
        }.get(kind_ if isinstance(kind_, str) else "")
        if handler is None:
            await self.error("unknown_type", f"unknown frame type {kind_!r}")
            return
        if kind_ in ("message", "choose", "human", "feedback") and not self.limiter.allow():
            await self.error("rate_limited", "too many messages; wait a moment", id=frame.get("id"))
            return
        try:
            if kind_ in ("choose", "human", "feedback", "csat"):
                await self.here()
            await handler(frame)
        except KundresaError as exc:
            await self.error(exc.code, exc.message, id=frame.get("id"))

    async def here(self) -> None:
        """Like a stored message, any action on this socket puts the customer on web, on this page: replies
        are delivered here (even before their first message) and a ticket gets the page context."""
        async with self.router.lock(self.conversation_id), self.router.sessions() as session, session.begin():
            conv = await convs.lock(session, self.conversation_id)
            conv.last_channel, conv.last_address = "web", {}
            if self.context:
                conv.context = dict(self.context)

    async def on_message(self, frame: dict[str, Any]) -> None:
        text, client_id = frame.get("text"), frame.get("id")
        if not isinstance(client_id, str) or not client_id or len(client_id) > 100:
            raise ValidationError(
                "a message needs an 'id' (a string up to 100 characters)", code="invalid_message"
            )
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("a message needs non-empty 'text'", code="invalid_message")
        limit = self.settings.chat.max_message_bytes
        if len(text.encode("utf-8")) > limit:
            raise ValidationError(f"message over {limit} bytes; shorten it", code="too_large")
        # The search starts now and runs while the message is being stored (the answer comes sooner);
        # it is only used once the message is stored, and dropped if the turn needs none (a person owns
        # the conversation, a resent message): an encode call wasted then, which is cheap.
        prefetched = self.dialogue.prefetch(text)
        try:
            inbound = await self.router.receive(
                self.conversation_id,
                channel="web",
                address={},
                text=text.strip(),
                client_id=client_id,
                context=self.context,
            )
            await self.ws.send_json({"type": "ack", "id": client_id, "seq": inbound.seq})
            if inbound.owner == "bot" and not inbound.duplicate:
                # Ephemeral, not stored: it carries the latest stored seq, like errors do.
                await self.ws.send_json({"type": "typing", "who": "bot", "seq": inbound.seq})
        except BaseException:
            self.dialogue.discard(prefetched)
            raise
        await self.dialogue.respond(inbound, prefetched, self.lang)

    async def on_choose(self, frame: dict[str, Any]) -> None:
        slug = frame.get("article")
        if not isinstance(slug, str) or not slug:
            raise ValidationError("'choose' needs 'article': a slug", code="invalid_message")
        await self.dialogue.choose(self.conversation_id, slug)

    async def on_human(self, frame: dict[str, Any]) -> None:
        await self.dialogue.human(self.conversation_id)

    async def on_feedback(self, frame: dict[str, Any]) -> None:
        helpful = frame.get("helpful")
        if not isinstance(helpful, bool):
            raise ValidationError("'feedback' needs 'helpful': true or false", code="invalid_message")
        await self.dialogue.feedback(self.conversation_id, helpful)

    async def on_csat(self, frame: dict[str, Any]) -> None:
        score = frame.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            raise ValidationError("'csat' needs 'score': a whole number 1 to 5", code="invalid_csat")
        await self.dialogue.csat(self.conversation_id, score)

    async def on_resume(self, frame: dict[str, Any]) -> None:
        after = frame.get("after")
        if not isinstance(after, int) or isinstance(after, bool):
            raise ValidationError("'resume' needs 'after': the last seq you have", code="invalid_resume")
        for replay in await self.router.history(self.conversation_id, after):
            await self.ws.send_json(replay)


async def chat_handler(
    request: web.Request, channel: WebChatChannel, router: Router, dialogue: Dialogue, settings: Settings
) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=30, max_msg_size=max(65536, 8 * settings.chat.max_message_bytes))
    await ws.prepare(request)
    if not channel.may_connect(request, settings.chat.connections_per_minute_per_ip):
        message = "too many new chat connections from your network; try again in a minute"
        await ws.send_json({"type": "error", "code": "rate_limited", "message": message, "seq": 0})
        await ws.close(code=4429)
        return ws
    q = request.query
    visitor = q.get("visitor", "")
    if not visitor or len(visitor) > 100:
        await ws.send_json(
            {"type": "error", "code": "invalid_visitor", "message": "'visitor' id required", "seq": 0}
        )
        await ws.close(code=4400)
        return ws
    try:
        context = parse_context(q.get("context"))
    except ValidationError as exc:
        await ws.send_json({"type": "error", "code": exc.code, "message": exc.message, "seq": 0})
        await ws.close(code=4400)
        return ws
    evidence = [Evidence("web_visitor", visitor, False)]
    user, email, sig = q.get("user"), q.get("email"), q.get("sig")
    verified_email: str | None = None
    if user or sig:
        secret = settings.chat.identity_secret
        expected = sign_user(user or "", secret.get_secret_value()) if secret else None
        if not user or not sig or expected is None or not hmac.compare_digest(expected, sig.lower()):
            await ws.send_json(
                {
                    "type": "error",
                    "code": "bad_signature",
                    "message": "identity signature does not match",
                    "seq": 0,
                }
            )
            await ws.close(code=4401)
            return ws
        evidence.insert(0, Evidence("web_user", user, True))
        # The email is verified evidence only when the shop signed it too (`email_sig`); `sig` covers
        # `user` alone, so an unsigned email could name someone else's account.
        email_sig = q.get("email_sig", "")
        if email and secret is not None:
            clean = email.strip().lower()
            if hmac.compare_digest(sign_user(clean, secret.get_secret_value()), email_sig.lower()):
                verified_email = clean
    # The shop marks a VIP by signing "vip:" + user (`vip_sig`); an unsigned claim is ignored.
    vip = False
    if verified_email is not None or any(e.verified for e in evidence):
        secret = settings.chat.identity_secret
        vip_sig = q.get("vip_sig", "")
        if secret is not None and vip_sig and user:
            vip = hmac.compare_digest(sign_user(f"vip:{user}", secret.get_secret_value()), vip_sig.lower())
    _, conv_id = await router.identify(evidence, email=verified_email, vip=vip or None)
    lang = q.get("lang", "").lower()
    session = ChatSession(
        ws, channel, router, dialogue, settings, conv_id, context, lang if LANG_RE.fullmatch(lang) else None
    )
    channel.sockets[conv_id].add(ws)
    try:
        async for msg in ws:
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                try:
                    await session.handle(msg.data, msg.type)
                except (ConnectionError, RuntimeError):
                    break
                except Exception:
                    log.exception("chat frame failed on conversation %s", conv_id)
                    await session.error("internal_error", "something went wrong on our side; try again")
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        channel.sockets[conv_id].discard(ws)
    return ws
