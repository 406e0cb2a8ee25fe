"""`Buttons`: the bot's turns that answer a click, not a message — a clarify option or article (`choose`),
"talk to a person" (`human`), 👍/👎 (`feedback`), a CSAT rating (`csat`), an address for replies
(`leave_email`). Each reads the bot's state once and stores its reply with the new state in one
transaction (a handoff: with its ticket)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from bot.bot_state import BotStates, Seen
from bot.logs import conversation
from bot.policy import Action, Turn
from bot.replies import Frames, Replies
from bot.signals import Signals
from bot.texts import say
from bot.turns import Turns
from config import ConflictError, ValidationError
from router.models import Conversation

__all__ = ["AlreadyRated", "Buttons"]


class AlreadyRated(ConflictError):
    """A second CSAT rating of the same ticket: the first one stands (`score`)."""

    def __init__(self, ticket: int, score: int) -> None:
        super().__init__(f"ticket {ticket} was rated {score} already", code="already_rated")
        self.ticket, self.score = ticket, score


def turn(method: Callable[..., Awaitable[Frames]]) -> Callable[..., Awaitable[Frames]]:
    """A bot turn not tied to one stored message (a button): counted, so that SIGTERM waits for it."""

    @functools.wraps(method)
    async def tracked(self: Buttons, *args: Any, **kwargs: Any) -> Frames:
        with self.turns.track(), conversation(args[0] if args else kwargs.get("conv_id")):
            return await method(self, *args, **kwargs)

    return tracked


class Buttons:
    def __init__(self, replies: Replies, states: BotStates, turns: Turns) -> None:
        self.replies = replies
        self.states = states
        self.turns = turns

    async def _seen(self, conv_id: int) -> Seen:
        seen = await self.states.load(conv_id)
        return seen if seen is not None else Seen("bot", {}, None)

    @turn
    async def choose(self, conv_id: int, slug: str) -> Frames:
        """The customer picked a clarify option (or any article by slug)."""
        seen = await self._seen(conv_id)
        article = await self.replies.kb.published(slug)
        if article is None:
            raise ValidationError(f"no published article {slug!r}", code="unknown_article")
        question = seen.state.get("last_question", "")
        return [await self.replies.answer_with(conv_id, article, 1.0, question, seen.state)]

    @turn
    async def human(self, conv_id: int, lang: str | None = None) -> Frames:
        """The "talk to a person" button (`lang`: the channel's language, the widget's)."""
        seen = await self._seen(conv_id)
        state = seen.state
        lang = lang or state.get("lang", "sv")
        if seen.owner == "agent":
            frame = {
                "type": "handoff",
                "ticket": state.get("handoff_ticket"),
                "text": say("handoff_again", lang),
            }
            return [await self.replies.send(conv_id, frame, reply=False)]
        turn = Turn("", Signals(True, False, False, False, False), None, state, lang)
        action = Action("handoff", reason="asked_for_human")
        return await self.replies.hand_off(conv_id, turn, action, seen.channel)

    @turn
    async def feedback(self, conv_id: int, helpful: bool, lang: str | None = None) -> Frames:
        """👍/👎 on the latest answer. `lang`: the channel's language (the widget's), for the one reply."""
        seen = await self._seen(conv_id)
        state = seen.state
        recorded = self.replies.router.feedback(conv_id, state.get("last_answer"), helpful)  # with the reply
        lang = lang or state.get("lang", "sv")
        if not helpful and seen.owner == "bot":
            if state.get("last_question"):
                await self.replies.kb.record_gap(state["last_question"], "not_helpful", conv_id, seen.channel)
            turn = Turn("", Signals(False, False, True, False, False), None, state, lang)
            action = Action("handoff", reason="not_helpful")
            return await self.replies.hand_off(conv_id, turn, action, seen.channel, recorded)
        frame = {"type": "notice", "text": say("feedback_thanks", lang), "feedback": helpful}
        return [await self.replies.send(conv_id, frame, state, also=recorded)]

    @turn
    async def csat(self, conv_id: int, score: int, lang: str | None = None) -> Frames:
        """A rating of the latest resolved ticket; a second one is refused (`AlreadyRated`, with the
        stored score). The thanks names the ticket and score, so a card replayed on another device shows
        as rated."""
        rated = await self.replies.router.tickets.record_csat(conv_id, score)
        if rated is None:
            raise ValidationError("there is no resolved conversation to rate yet", code="no_csat_pending")
        ticket_id, stored, before = rated
        if before:
            raise AlreadyRated(ticket_id, stored)
        if lang is None:
            lang = str((await self._seen(conv_id)).state.get("lang") or "sv")
        frame = {
            "type": "notice",
            "text": say("csat_thanks", lang),
            "csat": {"ticket": ticket_id, "score": stored},
        }
        return [await self.replies.send(conv_id, frame)]

    @turn
    async def leave_email(self, conv_id: int, address: str, masked: str, lang: str) -> Frames:
        """The customer left an address for replies (checked by the channel): stored, and confirmed."""
        router = self.replies.router
        async with router.lock(conv_id), router.sessions() as session, session.begin():
            conv = await session.get(Conversation, conv_id, with_for_update=True)
            if conv is None:
                return []
            conv.reply_email = address
        frame = {"type": "notice", "text": say("email_saved", lang, email=masked), "email": masked}
        return [await self.replies.send(conv_id, frame)]
