"""`Replies`: how the bot's frames leave, and the answers and handoffs every kind of turn ends in.

A frame is stored with the bot's new state in one transaction (`bot.bot_state.saving`) and, in a message's
turn, names the message it answers (`reply_to`: crash recovery tells the answered from the not). A
handoff's frame is stored in the transaction that opens the ticket (`TicketService.handoff(announce=…)`),
so it sees the queue as the ticket joins it and costs no transaction of its own."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.bot_state import CHANGES, saving
from bot.metrics import Metrics
from bot.policy import Action, Turn, unanswered_question
from bot.queue_info import Waiting, waiting_on
from bot.texts import say
from config import KundresaError, Settings
from knowledge import KnowledgeBase
from router.message_store import Also, MessageWrite
from router.models import Conversation, Customer, Ticket
from router.service import Router

__all__ = ["Replies", "article_ref"]

log = logging.getLogger("kundresa.dialogue")

# The seq of the customer message the running turn answers: every frame the turn sends carries it as
# `reply_to`, so an answer is tied to its question (crash recovery tells the answered from the not).
_REPLYING_TO: contextvars.ContextVar[int | None] = contextvars.ContextVar("replying_to", default=None)

Frames = list[dict[str, Any]]


def article_ref(result_article: Any) -> dict[str, str]:
    return {"slug": result_article.slug, "title": result_article.title}


def _together(*writes: Also | None) -> Also | None:
    """The writes given, one after another in one transaction (None when there are none)."""
    given = [w for w in writes if w is not None]
    if len(given) <= 1:
        return given[0] if given else None

    async def each(write: MessageWrite) -> None:
        for also in given:
            await also(write)

    return each


class Replies:
    def __init__(self, router: Router, kb: KnowledgeBase, settings: Settings) -> None:
        self.router = router
        self.kb = kb
        self.settings = settings
        self.metrics = Metrics()  # the app puts its own here (bot/app_metrics.py, through the Dialogue)

    @staticmethod
    @contextlib.contextmanager
    def replying_to(seq: int) -> Iterator[None]:
        """The frames sent in this block answer the customer message `seq`."""
        token = _REPLYING_TO.set(seq)
        try:
            yield
        finally:
            _REPLYING_TO.reset(token)

    @staticmethod
    def _tied(frame: dict[str, Any]) -> dict[str, Any]:
        replying_to = _REPLYING_TO.get()
        return frame if replying_to is None else {**frame, "reply_to": replying_to}

    async def send(
        self,
        conv_id: int,
        frame: dict[str, Any],
        state: dict[str, Any] | None = None,
        *,
        also: Also | None = None,
        reply: bool = True,
    ) -> dict[str, Any]:
        """Store and deliver a frame of the bot's, with its new `state` (and `also`) in the same
        transaction; `reply`: it is the answer to the running turn's message (not a side note)."""
        if reply:
            frame = self._tied(frame)
        writes = _together(saving(conv_id, state) if state is not None else None, also)
        with self.metrics.timed("send"):
            return await self.router.send(conv_id, frame, also=writes)

    async def say(
        self,
        conv_id: int,
        key: str,
        lang: str,
        state: dict[str, Any] | None = None,
        *,
        also: Also | None = None,
        reply: bool = True,
    ) -> dict[str, Any]:
        return await self.send(
            conv_id, {"type": "notice", "text": say(key, lang)}, state, also=also, reply=reply
        )

    async def answer_with(
        self,
        conv_id: int,
        article: Any,
        confidence: float,
        question: str,
        state: dict[str, Any],
        also: Also | None = None,
    ) -> dict[str, Any]:
        """Answer with an article as the live index holds it now (its body is there: no database read)."""
        indexed = self.kb.index.by_slug.get(article.slug)
        body = indexed.body if indexed is not None and indexed.status == "published" else ""
        state.pop("clarify_options", None)
        state.update(last_answer=article.slug, last_question=question)
        frame = {
            "type": "answer",
            "text": body,
            "article": article_ref(article),
            "confidence": round(float(confidence), 4),
        }
        return await self.send(conv_id, frame, state, also=also)

    async def hand_off(
        self, conv_id: int, turn: Turn, action: Action, channel: str | None, also: Also | None = None
    ) -> Frames:
        """Open (or reopen) a ticket and tell the customer, in one transaction; an unanswered question is
        a gap, noted with its `channel`."""
        question = unanswered_question(turn, action)
        self.metrics.handoff(action.reason)
        result = turn.search
        attempts = [a.to_json() for a in (result.articles[:3] if result else [])]
        if not attempts and turn.state.get("last_attempts"):
            attempts = turn.state["last_attempts"]
        tags = [[str(t) for t in a.get("tags") or []] for a in attempts]  # type: ignore[attr-defined]
        lang = turn.lang

        async def announce(
            session: AsyncSession, ticket: Ticket, new: bool
        ) -> tuple[dict[str, Any], Also | None]:
            frame = await self.handoff_frame(session, ticket, new, lang)
            # What the bot knew before stays out: a person has the conversation now.
            state = {"lang": lang, "handoff_ticket": ticket.id, CHANGES: turn.state.get(CHANGES, 0)}
            return self._tied(frame), _together(saving(conv_id, state), also)

        with self.metrics.timed("send"):
            _ticket, _new, stored = await self.router.tickets.handoff(
                conv_id,
                reason=action.reason,
                question=question,
                attempts=attempts,
                tags=tags,
                announce=announce,
            )
        if question and action.reason in ("no_answer", "clarify_failed", "frustrated"):
            await self.kb.record_gap(question, action.reason, conv_id, channel)
        if stored is None:  # the service stores the frame whenever `announce` is given
            raise KundresaError(f"handoff of conversation {conv_id} stored no frame", code="unannounced")
        return [stored]

    async def handoff_frame(
        self, session: AsyncSession, ticket: Ticket, new: bool, lang: str
    ) -> dict[str, Any]:
        """Tell the customer a person takes over, honestly: their place in the queue and the wait from
        the agents online, "no one is available right now" when nobody is, or who has it when it was
        assigned at once."""
        waiting = await waiting_on(session, ticket, self.settings.routing)
        if not new:
            text = say("handoff_again", lang)
        elif waiting.agent:
            text = say("handoff_assigned", lang, agent=waiting.agent)
        elif waiting.wait_minutes is not None and waiting.position is not None:
            text = say("handoff", lang, position=waiting.position, minutes=waiting.wait_minutes)
        else:  # the email offer only where the widget can take an address
            text = say("handoff_nobody_email" if self.settings.email.enabled else "handoff_nobody", lang)
        return {"type": "handoff", "ticket": ticket.id, "text": text, "queue": waiting.to_json()}

    async def announce_handoff(self, conv_id: int, ticket_id: int, lang: str) -> dict[str, Any] | None:
        """What crash recovery sends when a process died between opening a ticket and saying so."""
        async with self.router.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                return None
            frame = await self.handoff_frame(session, ticket, True, lang)
        return await self.send(conv_id, frame, {"lang": lang, "handoff_ticket": ticket_id})

    async def waiting(self, ticket_id: int) -> Waiting | None:
        async with self.router.sessions() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None:
                return None
            return await waiting_on(session, ticket, self.settings.routing)

    async def customer_name(self, conv_id: int) -> str | None:
        async with self.router.sessions() as session:
            conv = await session.get(Conversation, conv_id)
            customer = await session.get(Customer, conv.customer_id) if conv is not None else None
            return customer.name if customer is not None else None
