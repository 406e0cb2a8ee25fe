"""`Dialogue`: runs the policy for a stored customer message, on any channel, and sends the replies."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from bot.logs import conversation
from bot.metrics import Metrics
from bot.policy import Action, Turn, decide_turn, needs_search, unanswered_question
from bot.queue_info import Waiting, waiting_on
from bot.signals import Signals, detect_signals
from bot.texts import say
from bot.turns import Turns
from config import ConflictError, KundresaError, Settings, ValidationError
from knowledge import KnowledgeBase, SearchResult
from knowledge.text import detect_lang
from knowledge.translations import in_language
from router.conversations import ConversationLocks
from router.masking import contains_card_details, mask_sensitive
from router.models import Conversation, Customer, Ticket
from router.service import Inbound, Router

log = logging.getLogger("kundresa.dialogue")


class AlreadyRated(ConflictError):
    """A second CSAT rating of the same ticket: the first one stands (`score`)."""

    def __init__(self, ticket: int, score: int) -> None:
        super().__init__(f"ticket {ticket} was rated {score} already", code="already_rated")
        self.ticket, self.score = ticket, score


# Frames after which a customer's next message (while a person owns the conversation) is acknowledged
# again: the person has said something, or the customer was just handed over.
_WAITING_RESETS = frozenset({"agent_message", "handoff", "agent_joined"})


def article_ref(result_article: Any) -> dict[str, str]:
    return {"slug": result_article.slug, "title": result_article.title}


# The seq of the customer message the running turn answers: every frame the turn sends carries it as
# `reply_to`, so an answer is tied to its question (crash recovery tells the answered from the not).
_REPLYING_TO: contextvars.ContextVar[int | None] = contextvars.ContextVar("replying_to", default=None)

Resent = Callable[[Inbound], Awaitable[list[dict[str, Any]]]]
Frames = list[dict[str, Any]]


def turn(method: Callable[..., Awaitable[Frames]]) -> Callable[..., Awaitable[Frames]]:
    """A bot turn not tied to one stored message (a button): counted, so that SIGTERM waits for it."""

    @functools.wraps(method)
    async def tracked(self: Dialogue, *args: Any, **kwargs: Any) -> Frames:
        with self.turns.track(), conversation(args[0] if args else kwargs.get("conv_id")):
            return await method(self, *args, **kwargs)

    return tracked


class Dialogue:
    def __init__(self, router: Router, kb: KnowledgeBase, settings: Settings) -> None:
        self.router = router
        self.kb = kb
        self.settings = settings
        self.turns = Turns()
        self.metrics = Metrics()  # the app puts its own here (bot/app.py)
        self._turn_locks = ConversationLocks()  # not the router's: a turn writes through the router
        # Set by crash recovery (bot/recovery.py): a resent message whose first try got no reply gets one,
        # and a turn that failed after its message was stored is tried again.
        self.on_resent: Resent | None = None
        self.on_failed: Callable[[Inbound], None] | None = None

    def prefetch(self, text: str) -> asyncio.Task[SearchResult]:
        """Start searching for a message before it is stored, so that storing it and encoding it overlap;
        hand the task to `respond` (which cancels it when the turn needs no search)."""
        return asyncio.create_task(self._search(mask_sensitive(text.strip()).text))

    async def _search(self, text: str) -> SearchResult:
        with self.metrics.timed("search"):
            return await self.kb.search(text)

    async def respond(
        self, inbound: Inbound, prefetched: asyncio.Task[SearchResult] | None = None, lang: str | None = None
    ) -> list[dict[str, Any]]:
        """The bot's turn after a customer message; returns the frames it sent. `lang`: the customer's
        language as the channel knows it (the web chat widget's), for messages too short to tell."""
        if inbound.duplicate:
            # Sent before: answered already, being answered, or abandoned by a crash (then recovery
            # answers it now). The channel acknowledged it again either way.
            if prefetched is not None:
                self.discard(prefetched)
            return await self.on_resent(inbound) if self.on_resent is not None else []
        try:
            with (
                self.turns.track((inbound.conversation_id, inbound.seq)),
                conversation(inbound.conversation_id),
            ):
                async with self._one_turn_at_a_time(inbound.conversation_id) as waited:
                    if waited:  # another turn changed the conversation meanwhile (e.g. handed it off)
                        inbound = await self._refreshed(inbound)
                    replying = _REPLYING_TO.set(inbound.seq)
                    try:
                        return await self._respond(inbound, prefetched, lang)
                    finally:
                        _REPLYING_TO.reset(replying)
        except KundresaError:
            raise  # about the input (the channel reports it): trying again would fail the same way
        except Exception:
            if self.on_failed is not None:  # stored and acknowledged: it must still get its answer
                self.on_failed(inbound)
            raise
        finally:
            if prefetched is not None:
                self.discard(prefetched)

    @contextlib.asynccontextmanager
    async def _one_turn_at_a_time(self, conversation_id: int) -> AsyncIterator[bool]:
        """One message turn per conversation at a time in this process (two tabs, or crash recovery next to
        a live turn): each sees the owner and bot state the one before left. Yields whether it waited."""
        lock = self._turn_locks(conversation_id)
        waited = lock.locked()
        async with lock:
            yield waited

    async def _refreshed(self, inbound: Inbound) -> Inbound:
        conv = await self.router.conversation(inbound.conversation_id)
        if conv is None:
            return inbound
        return dataclasses.replace(inbound, owner=conv.owner, bot_state=dict(conv.bot_state or {}))

    @staticmethod
    def discard(prefetched: asyncio.Task[SearchResult]) -> None:
        """Drop a prefetched search nobody awaits (a duplicate, an agent's conversation, an error)."""
        if not prefetched.done():
            prefetched.cancel()
        elif not prefetched.cancelled():
            prefetched.exception()  # looked at: asyncio does not log it as never retrieved

    async def _respond(
        self, inbound: Inbound, prefetched: asyncio.Task[SearchResult] | None, hint: str | None = None
    ) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        state = dict(inbound.bot_state)
        short = len(inbound.text.split()) <= 2
        lang = (state.get("lang") or hint or "sv") if short else detect_lang(inbound.text)
        state["lang"] = lang
        conv_id = inbound.conversation_id
        if contains_card_details(inbound.mask):
            sent.append(await self._say(conv_id, "card_warning", lang, reply=False))  # not the answer
        if inbound.owner == "agent":  # a person owns the conversation: the bot only acknowledges
            sent.extend(await self._while_waiting(inbound, state, lang))
            return sent
        signals = detect_signals(inbound.text)
        search: SearchResult | None = None
        if needs_search(signals, state):
            if prefetched is not None and not prefetched.cancelled():
                search = await prefetched
            else:
                search = await self._search(inbound.text)
            search = in_language(search, self.kb.index.articles, lang)  # answer in the customer's language
        turn = Turn(inbound.text, signals, search, state)
        with self.metrics.timed("decide"):
            action = decide_turn(turn)
        if action.feedback is not None and state.get("last_answer"):
            await self.router.record_feedback(conv_id, state["last_answer"], action.feedback)
            if action.feedback is False and state.get("last_question"):
                await self.kb.record_gap(state["last_question"], "not_helpful", conv_id, inbound.channel)
        sent.extend(await self._act(conv_id, turn, action, lang, inbound.channel))
        return sent

    async def _act(
        self, conv_id: int, turn: Turn, action: Action, lang: str, channel: str | None
    ) -> list[dict[str, Any]]:
        state = turn.state
        result = turn.search
        self.metrics.decision(action.kind, lang)
        log.debug("bot decision: %s (%s)", action.kind, lang)
        if result is not None and action.kind in ("answer", "clarify"):
            # What the bot tried travels with a later "talk to a person" into the ticket.
            state["last_attempts"] = [a.to_json() for a in result.articles[:3]]
        if action.kind == "say":
            name = await self._customer_name(conv_id) if action.text_key == "greeting" else None
            if name:  # a customer the shop signed in (or Slack knows) is greeted by name
                hello = {"type": "notice", "text": say("greeting_name", lang, name=name)}
                return [await self._send(conv_id, hello, bot_state=state)]
            return [await self._say(conv_id, action.text_key, lang, state)]
        if action.kind == "answer" and result is not None and result.best is not None:
            return [await self.answer_with(conv_id, result.best, result.confidence, turn.text, state)]
        if action.kind == "clarify" and result is not None:
            state.update(clarify_options=[a.slug for a in result.options], last_question=turn.text)
            frame = {
                "type": "clarify",
                "text": say("clarify", lang),
                "options": [article_ref(a) for a in result.options],
            }
            return [await self._send(conv_id, frame, bot_state=state)]
        return await self.hand_off(conv_id, turn, action, lang, channel)

    async def answer_with(
        self, conv_id: int, article: Any, confidence: float, question: str, state: dict[str, Any]
    ) -> dict[str, Any]:
        body = await self._body(article.slug)
        state.pop("clarify_options", None)
        state.update(last_answer=article.slug, last_question=question)
        frame = {
            "type": "answer",
            "text": body,
            "article": article_ref(article),
            "confidence": round(float(confidence), 4),
        }
        return await self._send(conv_id, frame, bot_state=state)

    async def hand_off(
        self, conv_id: int, turn: Turn, action: Action, lang: str, channel: str | None
    ) -> list[dict[str, Any]]:
        """Open (or reopen) a ticket; an unanswered question is a gap, noted with its `channel`."""
        question = unanswered_question(turn, action)
        self.metrics.handoff(action.reason)
        result = turn.search
        attempts = [a.to_json() for a in (result.articles[:3] if result else [])]
        if not attempts and turn.state.get("last_attempts"):
            attempts = turn.state["last_attempts"]
        tags = [[str(t) for t in a.get("tags") or []] for a in attempts]  # type: ignore[attr-defined]
        ticket, new = await self.router.tickets.handoff(
            conv_id, reason=action.reason, question=question, attempts=attempts, tags=tags
        )
        if question and action.reason in ("no_answer", "clarify_failed", "frustrated"):
            await self.kb.record_gap(question, action.reason, conv_id, channel)
        return [await self.announce_handoff(conv_id, ticket, new, lang)]

    async def announce_handoff(self, conv_id: int, ticket: Any, new: bool, lang: str) -> dict[str, Any]:
        """Tell the customer a person takes over, honestly: their place in the queue and the wait from
        the agents online, "no one is available right now" when nobody is, or who has it when it was
        assigned at once (also what crash recovery sends when a process died between opening the ticket
        and saying so)."""
        waiting = await self.waiting(ticket.id)
        state = {"lang": lang, "handoff_ticket": ticket.id}
        if not new:
            text = say("handoff_again", lang)
        elif waiting is not None and waiting.agent:
            text = say("handoff_assigned", lang, agent=waiting.agent)
        elif waiting is not None and waiting.wait_minutes is not None and waiting.position is not None:
            text = say("handoff", lang, position=waiting.position, minutes=waiting.wait_minutes)
        else:  # the email offer only where the widget can take an address
            text = say("handoff_nobody_email" if self.settings.email.enabled else "handoff_nobody", lang)
        frame: dict[str, Any] = {"type": "handoff", "ticket": ticket.id, "text": text}
        if waiting is not None:
            frame["queue"] = waiting.to_json()
        return await self._send(conv_id, frame, bot_state=state)

    async def waiting(self, ticket_id: int) -> Waiting | None:
        async with self.router.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                return None
            return await waiting_on(session, ticket, self.settings.routing)

    async def _while_waiting(
        self, inbound: Inbound, state: dict[str, Any], lang: str
    ) -> list[dict[str, Any]]:
        """A customer message while a person owns the conversation: asking for a person again gets "it is
        with them", and the first message since the person (or the handoff) last spoke gets "we have it,
        a person answers here"; later ones only their ack, so the chat is not flooded."""
        waiting = await self.waiting(int(state["handoff_ticket"])) if state.get("handoff_ticket") else None
        if detect_signals(inbound.text).wants_human:
            return [await self._say(inbound.conversation_id, "handoff_again", lang)]
        for message in reversed(await self.router.recent_messages(inbound.conversation_id, limit=30)):
            if message.seq >= inbound.seq or message.internal:
                continue
            if message.kind == "notice" and (message.payload or {}).get("ack") == "waiting":
                return []  # acknowledged already since the person last spoke
            if message.kind in _WAITING_RESETS:
                break
        agent = waiting.agent if waiting is not None else None
        text = say("waiting_ack_agent", lang, agent=agent) if agent else say("waiting_ack", lang)
        return [await self._send(inbound.conversation_id, {"type": "notice", "text": text, "ack": "waiting"})]

    @turn
    async def choose(self, conv_id: int, slug: str) -> list[dict[str, Any]]:
        """The customer picked a clarify option (or any article by slug)."""
        conv = await self.router.conversation(conv_id)
        state = dict(conv.bot_state or {}) if conv else {}
        article = await self.kb.published(slug)
        if article is None:
            raise ValidationError(f"no published article {slug!r}", code="unknown_article")
        question = state.get("last_question", "")
        return [await self.answer_with(conv_id, article, 1.0, question, state)]

    @turn
    async def human(self, conv_id: int, lang: str | None = None) -> list[dict[str, Any]]:
        """The "talk to a person" button (`lang`: the channel's language, the widget's)."""
        conv = await self.router.conversation(conv_id)
        state = dict(conv.bot_state or {}) if conv else {}
        lang = lang or state.get("lang", "sv")
        if conv is not None and conv.owner == "agent":
            return [
                await self.router.send(
                    conv_id,
                    {
                        "type": "handoff",
                        "ticket": state.get("handoff_ticket"),
                        "text": say("handoff_again", lang),
                    },
                )
            ]
        turn = Turn("", Signals(True, False, False, False, False), None, state)
        action = Action("handoff", reason="asked_for_human")
        return await self.hand_off(conv_id, turn, action, lang, conv.last_channel if conv else None)

    @turn
    async def feedback(self, conv_id: int, helpful: bool, lang: str | None = None) -> list[dict[str, Any]]:
        """👍/👎 on the latest answer. `lang`: the channel's language (the widget's), for the one reply."""
        conv = await self.router.conversation(conv_id)
        state = dict(conv.bot_state or {}) if conv else {}
        slug = state.get("last_answer")
        await self.router.record_feedback(conv_id, slug, helpful)
        lang = lang or state.get("lang", "sv")
        if not helpful and conv is not None and conv.owner == "bot":
            if state.get("last_question"):
                await self.kb.record_gap(state["last_question"], "not_helpful", conv_id, conv.last_channel)
            turn = Turn("", Signals(False, False, True, False, False), None, state)
            action = Action("handoff", reason="not_helpful")
            return await self.hand_off(conv_id, turn, action, lang, conv.last_channel)
        frame = {"type": "notice", "text": say("feedback_thanks", lang), "feedback": helpful}
        return [await self._send(conv_id, frame, bot_state=state)]

    @turn
    async def csat(self, conv_id: int, score: int, lang: str | None = None) -> list[dict[str, Any]]:
        """A rating of the latest resolved ticket; a second one is refused (`AlreadyRated`, with the
        stored score). The thanks names the ticket and score, so a card replayed on another device shows
        as rated."""
        rated = await self.router.tickets.record_csat(conv_id, score)
        if rated is None:
            raise ValidationError("there is no resolved conversation to rate yet", code="no_csat_pending")
        ticket_id, stored, before = rated
        if before:
            raise AlreadyRated(ticket_id, stored)
        if lang is None:
            conv = await self.router.conversation(conv_id)
            lang = (conv.bot_state or {}).get("lang", "sv") if conv else "sv"
        frame = {
            "type": "notice",
            "text": say("csat_thanks", lang),
            "csat": {"ticket": ticket_id, "score": stored},
        }
        return [await self._send(conv_id, frame)]

    @turn
    async def leave_email(self, conv_id: int, address: str, masked: str, lang: str) -> list[dict[str, Any]]:
        """The customer left an address for replies (checked by the channel): stored, and confirmed."""
        async with self.router.lock(conv_id), self.router.sessions() as session, session.begin():
            conv = await session.get(Conversation, conv_id, with_for_update=True)
            if conv is None:
                return []
            conv.reply_email = address
        frame = {"type": "notice", "text": say("email_saved", lang, email=masked), "email": masked}
        return [await self._send(conv_id, frame)]

    async def _say(
        self, conv_id: int, key: str, lang: str, state: dict[str, Any] | None = None, *, reply: bool = True
    ) -> dict[str, Any]:
        frame = {"type": "notice", "text": say(key, lang)}
        if not reply:
            return await self.router.send(conv_id, frame, bot_state=state)
        return await self._send(conv_id, frame, bot_state=state)

    async def _send(self, conv_id: int, frame: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Store and deliver a frame of the bot's; in a message's turn it names the message (`reply_to`)."""
        replying_to = _REPLYING_TO.get()
        if replying_to is not None:
            frame = {**frame, "reply_to": replying_to}
        with self.metrics.timed("send"):
            return await self.router.send(conv_id, frame, **kwargs)

    async def _customer_name(self, conv_id: int) -> str | None:
        async with self.router.sessions() as session:
            conv = await session.get(Conversation, conv_id)
            customer = await session.get(Customer, conv.customer_id) if conv is not None else None
            return customer.name if customer is not None else None

    async def _body(self, slug: str) -> str:
        # From the live index, not the database: the answer path stays off the disk.
        article = await self.kb.published(slug)
        return article.body if article is not None else ""
