"""Shop events on the chat socket: `{"type":"event","name":…,"data":…}` (`window.Kundresa.track`) and the
widget's answers to a proactive offer, `{"type":"offer_opened","offer":ID}` / `{"type":"offer_dismissed",
"offer":ID}`. Opening an offer shows its article as an answer (or its message as a notice), and the
conversation goes on as usual.

`EventChatSession` is a `ChatSession` that takes these frames first; everything else is the base class's.
`follow_shop_events` lets sockets that opened before their customer had a conversation join it when an
offer is about to be sent there (`router.shop_events.service`), so the offer reaches them live.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from bot.channels.webchat.identity import ChatIdentity
from bot.channels.webchat.inbound import ChatSession
from bot.dialogue import Dialogue
from config import KundresaError, Settings, ValidationError
from router.events import EventBus
from router.service import Router
from router.shop_events.catalog import parse_event
from router.shop_events.http import SHOP_EVENTS
from router.shop_events.service import TOPIC, ShopEvents

if TYPE_CHECKING:
    from bot.channels.webchat.outbound import WebChatChannel

__all__ = ["EventChatSession", "follow_shop_events", "new_session"]

log = logging.getLogger("kundresa.webchat")
FRAMES = ("event", "offer_opened", "offer_dismissed")


def _ours(raw: Any) -> dict[str, Any] | None:
    """The frame, when it is one of ours (a cheap look first: most frames are messages)."""
    if not isinstance(raw, str) or ('"event"' not in raw and '"offer_' not in raw):
        return None
    try:
        frame = json.loads(raw)
    except json.JSONDecodeError:
        return None
    return frame if isinstance(frame, dict) and frame.get("type") in FRAMES else None


class EventChatSession(ChatSession):
    __slots__ = ("shop",)

    def __init__(self, *args: Any, shop: ShopEvents) -> None:
        super().__init__(*args)
        self.shop = shop

    async def handle(self, raw: Any, kind: WSMsgType) -> None:
        limit = 4 * self.settings.chat.max_message_bytes + 1024
        frame = _ours(raw) if kind == WSMsgType.TEXT and len(raw) <= limit else None
        if frame is None:
            await super().handle(raw, kind)
            return
        per_minute = self.settings.proactive.events_per_minute
        if not self.channel.limiter(("shop-events", self.identity.key), per_minute).allow():
            await self.error("rate_limited", "too many events; wait a moment")
            return
        try:
            if frame["type"] == "event":
                await self.on_event(frame)
            else:
                await self.on_offer(frame, "opened" if frame["type"] == "offer_opened" else "dismissed")
        except KundresaError as exc:
            await self.error(exc.code, exc.message)

    async def on_event(self, frame: dict[str, Any]) -> None:
        event = parse_event(
            frame.get("name"), frame.get("data"), max_bytes=self.settings.proactive.max_data_bytes
        )
        await self.known()
        customer_id = None
        if self.conversation_id is not None and self.complete:
            conv = await self.router.conversation(self.conversation_id)
            customer_id = conv.customer_id if conv is not None else None
        ident = self.identity
        await self.shop.record(
            event,
            source="web",
            evidence=list(ident.evidence),
            email=ident.email,
            customer_id=customer_id,
            context=self.context,
            lang=self.lang,
        )

    async def on_offer(self, frame: dict[str, Any], action: str) -> None:
        await self.known()
        conv_id = self.conversation_id
        if conv_id is None:
            raise ValidationError("there is no offer in this conversation", code="unknown_offer")
        offer = await self.shop.offer_action(conv_id, frame.get("offer"), action)
        if action != "opened":
            return
        await self.here()
        article = offer.get("article")
        if isinstance(article, dict) and isinstance(article.get("slug"), str):
            await self.dialogue.buttons.choose(conv_id, article["slug"])
        elif offer.get("text"):
            await self.router.send(conv_id, {"type": "notice", "text": str(offer["text"])})


def new_session(
    request: web.Request,
    ws: web.WebSocketResponse,
    channel: WebChatChannel,
    router: Router,
    dialogue: Dialogue,
    settings: Settings,
    identity: ChatIdentity,
) -> ChatSession:
    """The chat socket's session; with shop events when the app has them."""
    shop = request.app.get(SHOP_EVENTS)
    if shop is None:
        return ChatSession(ws, channel, router, dialogue, settings, identity)
    return EventChatSession(ws, channel, router, dialogue, settings, identity, shop=shop)


async def _join(session: ChatSession, channel: WebChatChannel, conv_id: int, head: int | None) -> None:
    """Bind `session` to the conversation from `head` (the seq before the offer), so the offer reaches it
    live even when this is another process and the offer was stored before this ran."""
    if head is None:
        await session.ensure()
        return
    ident = session.identity
    _, found = await session.router.identify(list(ident.evidence), email=ident.email, vip=ident.vip or None)
    if found != conv_id:
        await session.ensure()
        return
    session.complete = session.known_customer = True
    await channel.bind(session, conv_id, head)
    conv = await session.router.conversation(conv_id)
    latest = conv.next_seq - 1 if conv is not None else head
    for seq, frame in await channel.rows(conv_id, head, latest) if latest > head else []:
        await session.out.offer(seq, frame)  # stored before the bind: in order, duplicates dropped


def follow_shop_events(bus: EventBus, channel: WebChatChannel) -> Callable[[], None]:
    """Sockets of the customer an offer is for join its conversation before the offer is sent."""

    async def on_offer(topic: str, data: dict[str, Any]) -> None:
        pairs = {tuple(p) for p in data.get("identities") or [] if isinstance(p, list) and len(p) == 2}
        conv_id = data.get("conversation_id")
        if not pairs or not isinstance(conv_id, int):
            return
        head = data.get("head")
        for session in list(channel.sessions):
            if session.conversation_id == conv_id:
                continue
            if any((e.kind, e.external_id) in pairs for e in session.identity.evidence):
                try:
                    await _join(session, channel, conv_id, head if isinstance(head, int) else None)
                except Exception:  # that socket gets the offer on its next resume
                    log.warning("could not bind a chat socket to conversation %s", conv_id, exc_info=True)

    return bus.subscribe(TOPIC, on_offer)
