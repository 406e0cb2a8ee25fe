"""`ShopEvents`: stores an event on the customer's timeline, then lets the proactive rules act on it.

A rule that matches offers its article and/or message at most once per conversation, never while a person
owns the conversation, and not within `quiet_minutes` of another offer to the customer. Customers in the
hold-out share (fixed per customer) pass the same checks and get an offer row marked `held_out` but
nothing is sent: they are the comparison group of the outcome report (`router.shop_events.outcomes`).

An offer is a stored `proactive` frame (so it has a seq, is replayed on `resume` and is on the timeline):
`{"type":"proactive","offer":ID,"rule":KEY,"title":…,"text":…,"article":{"slug","title"}|null,"lang":…}`.
Before it is sent, the `shop_events` topic announces the conversation with the customer's identities, so
chat sockets that opened before the customer had a conversation join it and get the frame live.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from config import NotFoundError, UnauthorizedError, ValidationError
from infra.db import utcnow
from knowledge import KnowledgeBase
from knowledge.translations import group_of, published_versions
from router.identity import Evidence, resolve_customer
from router.models import Conversation, Customer, Message, ProactiveOffer, ShopEvent
from router.service import Router
from router.shop_events.catalog import EventIn
from router.shop_events.rules import effective_rules, held_out, matches
from router.shop_events.store import customer_ids_of, event_json, store_event

__all__ = ["TOPIC", "Recorded", "ShopEvents"]

TOPIC = "shop_events"


@dataclass
class Recorded:
    event: dict[str, Any]
    customer_id: int
    offer: dict[str, Any] | None  # the frame sent, or {"held_out": True, "rule": key}; None: no rule acted


class ShopEvents:
    def __init__(self, router: Router, kb: KnowledgeBase) -> None:
        self.router = router
        self.kb = kb
        self.settings = router.settings
        self._customer_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._identity_locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)

    # -- storing -------------------------------------------------------------------------------------------
    async def record(
        self,
        event: EventIn,
        *,
        source: str,
        evidence: list[Evidence],
        email: str | None = None,
        customer_id: int | None = None,
        context: dict[str, Any] | None = None,
        signature: str | None = None,
        lang: str | None = None,
    ) -> Recorded:
        """Store the event (creating the customer if new, never a conversation), then run the rules."""
        try:
            row, who = await self._store(event, source, evidence, email, customer_id, context, signature)
        except IntegrityError:
            if signature is not None and await self._seen(signature):
                raise UnauthorizedError("this signed event was sent before", code="replayed") from None
            # another process created the same customer at the same moment: it is there now
            row, who = await self._store(event, source, evidence, email, customer_id, context, signature)
        offer = await self.offer(who, row, evidence, email, lang)
        return Recorded(event_json(row, self.settings), who, offer)

    async def _seen(self, signature: str) -> bool:
        async with self.router.sessions() as session:
            found = await session.scalar(select(ShopEvent.id).where(ShopEvent.signature == signature))
        return found is not None

    async def _store(
        self,
        event: EventIn,
        source: str,
        evidence: list[Evidence],
        email: str | None,
        customer_id: int | None,
        context: dict[str, Any] | None,
        signature: str | None,
    ) -> tuple[ShopEvent, int]:
        if signature is not None and await self._seen(signature):
            raise UnauthorizedError("this signed event was sent before", code="replayed")
        key = min((e.kind, e.external_id) for e in evidence) if evidence else ("", "")
        async with self._identity_locks[key], self.router.sessions() as session, session.begin():
            if customer_id is None:
                customer_id = (await resolve_customer(session, evidence, email=email)).id
            row = await store_event(
                session, customer_id, event, source=source, context=context, signature=signature
            )
        return row, customer_id

    # -- proactive rules -----------------------------------------------------------------------------------
    async def offer(
        self,
        customer_id: int,
        event: ShopEvent,
        evidence: list[Evidence],
        email: str | None = None,
        lang: str | None = None,
    ) -> dict[str, Any] | None:
        """Let the first rule that matches and may act, act (one offer per event at most)."""
        if not self.settings.proactive.enabled:
            return None
        async with self._customer_locks[customer_id]:  # this process; the row lock below: all of them
            async with self.router.sessions() as session, session.begin():
                # One decision per customer at a time across processes: the offer is reserved before the
                # lock goes, so a second event through another process sees this rule as done.
                await session.get(Customer, customer_id, with_for_update=True, populate_existing=True)
                rules = [
                    r for r in await effective_rules(session, self.settings) if matches(r, _as_in(event))
                ]
                if not rules:
                    return None
                chosen = await self._eligible(session, customer_id, rules)
                if chosen is None:
                    return None
                rule, conv = chosen
                conv_lang = (conv.bot_state or {}).get("lang") if conv is not None else None
                held = held_out(customer_id, self.settings.proactive.holdout_share)
                content = None if held else self._content(rule, lang or conv_lang or "sv")
                if not held and content is None:
                    return None
                offer = ProactiveOffer(
                    rule_key=rule["key"],
                    customer_id=customer_id,
                    conversation_id=conv.id if conv else None,
                    event_id=event.id,
                    held_out=held,
                )
                session.add(offer)
                await session.flush()
                offer_id = offer.id
            if content is None:
                return {"held_out": True, "rule": rule["key"]}
            return await self._send(offer_id, evidence, email, content)

    async def _eligible(
        self, session: Any, customer_id: int, rules: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], Conversation | None] | None:
        conv = await session.scalar(
            select(Conversation)
            .where(Conversation.customer_id == customer_id, Conversation.merged_into_id.is_(None))
            .order_by(Conversation.id)
            .limit(1)
        )
        if conv is not None and conv.owner != "bot":
            return None  # a person has the conversation: no bubbles over their work
        if conv is not None and conv.last_channel not in (None, "web"):
            return None  # the customer is on Slack now: a widget bubble would go nowhere
        ids = await customer_ids_of(session, customer_id)
        quiet = self.settings.proactive.quiet_minutes
        if quiet > 0:
            recent = await session.scalar(
                select(ProactiveOffer.id)
                .where(
                    ProactiveOffer.customer_id.in_(ids),
                    ProactiveOffer.created_at >= utcnow() - timedelta(minutes=quiet),
                )
                .limit(1)
            )
            if recent is not None:
                return None
        offers = select(ProactiveOffer.rule_key).where(ProactiveOffer.customer_id.in_(ids))
        if conv is not None:
            offers = offers.where(
                or_(ProactiveOffer.conversation_id.is_(None), ProactiveOffer.conversation_id == conv.id)
            )
        # With no conversation when it was read, every offer of the customer counts, whatever conversation it
        # names by now: an offer reserved without one gets the conversation its sending makes, after the
        # customer lock is gone. Read with `conversation_id IS NULL` only, a second process could look
        # between that conversation's commit and the offer's update and offer the rule again (seen once in
        # tests/router/test_shop_postgres.py, two processes).
        done = set(await session.scalars(offers))
        for rule in rules:
            if rule["key"] not in done:
                return rule, conv
        return None

    def _content(self, rule: dict[str, Any], lang: str) -> dict[str, Any] | None:
        """The offer in the customer's language: title, text and the article's version in that language."""
        slug = rule.get("article")
        article = self._article(slug, lang) if isinstance(slug, str) and slug else None
        text = _pick(rule.get("message") or {}, lang)
        if article is None and not text:
            return None  # the article is gone or unpublished, and there is nothing else to say
        title = _pick(rule.get("title") or {}, lang) or (article["title"] if article else "")
        return {"rule": rule["key"], "title": title, "text": text, "article": article, "lang": lang}

    def _article(self, slug: str, lang: str) -> dict[str, str] | None:
        articles = self.kb.index.articles
        found = next((a for a in articles if a.slug == slug and a.status == "published"), None)
        if found is None:
            return None
        version = published_versions(articles).get((group_of(found), lang), found)
        return {"slug": version.slug, "title": version.title}

    async def _send(
        self, offer_id: int, evidence: list[Evidence], email: str | None, content: dict[str, Any]
    ) -> dict[str, Any]:
        """Send the reserved offer `offer_id` to the customer's conversation (made now if there is none)."""
        _, conv_id = await self.router.identify(evidence, email=email) if evidence else (None, None)
        if conv_id is None:
            async with self.router.sessions() as session, session.begin():  # never shown: not counted
                await session.execute(delete(ProactiveOffer).where(ProactiveOffer.id == offer_id))
            raise ValidationError("no identity to reach the customer with", code="unknown_customer")
        identities = [[e.kind, e.external_id] for e in evidence]
        conv = await self.router.conversation(conv_id)
        head = conv.next_seq - 1 if conv is not None else 0  # sockets joining now get what follows
        await self.router.bus.publish(
            TOPIC, {"conversation_id": conv_id, "identities": identities, "head": head}
        )
        frame = {"type": "proactive", "offer": offer_id, **content}
        text = " – ".join(x for x in (content["title"], content["text"]) if x)
        stored = await self.router.send(conv_id, frame, text=text)
        async with self.router.sessions() as session, session.begin():
            row = await session.get(ProactiveOffer, offer_id)
            if row is not None:
                row.conversation_id, row.seq = conv_id, int(stored["seq"])
        return stored

    # -- the widget's answer to an offer -------------------------------------------------------------------
    async def offer_action(self, conversation_id: int, offer_id: Any, action: str) -> dict[str, Any]:
        """`opened` or `dismissed` (the first of each counts); the offer's frame, for what follows."""
        if not isinstance(offer_id, int) or isinstance(offer_id, bool):
            raise ValidationError("'offer' must be the offer's id", code="invalid_offer")
        async with self.router.sessions() as session, session.begin():
            row = await session.get(ProactiveOffer, offer_id)
            if row is None or row.held_out or row.conversation_id != conversation_id:
                raise NotFoundError(f"no offer {offer_id} in this conversation", code="unknown_offer")
            now = utcnow()
            if action == "opened" and row.opened_at is None:
                row.opened_at = now
            elif action == "dismissed" and row.dismissed_at is None:
                row.dismissed_at = now
            payload = await session.scalar(
                select(Message.payload).where(
                    Message.conversation_id == conversation_id, Message.seq == row.seq
                )
            )
        return dict(payload or {})


def _pick(texts: dict[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("sv") or texts.get("en") or next(iter(texts.values()), "")


def _as_in(row: ShopEvent) -> EventIn:
    return EventIn(row.name, row.reason, dict(row.data or {}))
