"""`Dialogue`: runs the policy for a stored customer message, on any channel, and sends the replies.

One pass per message: the channel masked the text once (`Router.receive`, and `prefetch` searches that
masked text); the language the text shows is read once, by `prefetch`, and passed to the search; the turn
reads the bot's state once (`bot.bot_state`), decides the reply language once and carries it on the
`Turn`; the reply is stored with the new state in one transaction (`bot.replies`). The buttons (`choose`,
`human`, `feedback`, …) are `Dialogue.buttons` (`bot.buttons`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.bot_state import BotStates
from bot.buttons import Buttons
from bot.logs import conversation
from bot.metrics import Metrics
from bot.policy import Action, Turn, decide_turn, needs_search
from bot.replies import Frames, Replies, article_ref
from bot.signals import detect_signals
from bot.texts import say
from bot.turns import Turns
from config import KundresaError, Settings
from knowledge import KnowledgeBase, SearchResult
from knowledge.search import AUTO
from knowledge.text import guess_lang
from knowledge.translations import in_language
from router.conversations import ConversationLocks
from router.masking import contains_card_details
from router.message_store import Also
from router.service import Inbound, Router

__all__ = ["Dialogue", "Prefetched"]


@dataclass(frozen=True)
class Prefetched:
    """A search started before its message was stored, and the language the text showed ("sv", "en",
    None for no sign), read once for both the search and the reply."""

    task: asyncio.Task[SearchResult]
    said: str | None


log = logging.getLogger("kundresa.dialogue")

# Frames after which a customer's next message (while a person owns the conversation) is acknowledged
# again: the person has said something, or the customer was just handed over.
_WAITING_RESETS = frozenset({"agent_message", "handoff", "agent_joined"})

Resent = Callable[[Inbound], Awaitable[Frames]]


class Dialogue:
    def __init__(self, router: Router, kb: KnowledgeBase, settings: Settings) -> None:
        self.router = router
        self.kb = kb
        self.settings = settings
        self.turns = Turns()
        self.states = BotStates(router.sessions)
        self.replies = Replies(router, kb, settings)
        self.buttons = Buttons(self.replies, self.states, self.turns)
        self._turn_locks = ConversationLocks()  # not the router's: a turn writes through the router
        # Set by crash recovery (bot/recovery.py): a resent message whose first try got no reply gets one,
        # and a turn that failed after its message was stored is tried again.
        self.on_resent: Resent | None = None
        self.on_failed: Callable[[Inbound], None] | None = None

    @property
    def metrics(self) -> Metrics:
        return self.replies.metrics

    @metrics.setter
    def metrics(self, metrics: Metrics) -> None:  # the app's own (bot/app_metrics.py)
        self.replies.metrics = metrics

    def prefetch(self, masked_text: str) -> Prefetched:
        """Start searching for a message (masked by the channel already) before it is stored, so that
        storing it and encoding it overlap; hand it to `respond` (which cancels it when the turn needs no
        search)."""
        text = masked_text.strip()
        # Read on the text as the search will see it: a word put right ("presentkrot" -> "presentkort") or
        # given back its å/ä/ö is a sign of the language too.
        said = guess_lang(self.kb.spelled(text))
        return Prefetched(asyncio.create_task(self._search(text, said=said)), said)

    async def _search(self, text: str, lang: str | None = None, said: str | None = AUTO) -> SearchResult:
        with self.metrics.timed("search"):
            return await self.kb.search(text, lang=lang, said=said)

    async def respond(
        self, inbound: Inbound, prefetched: Prefetched | None = None, lang: str | None = None
    ) -> Frames:
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
                async with self._one_turn_at_a_time(inbound.conversation_id):
                    with self.replies.replying_to(inbound.seq):
                        return await self._respond(inbound, prefetched, lang)
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
    async def _one_turn_at_a_time(self, conversation_id: int) -> AsyncIterator[None]:
        """One message turn per conversation at a time in this process (two tabs, or crash recovery next to
        a live turn): each reads the owner and bot state the one before left."""
        async with self._turn_locks(conversation_id):
            yield

    @staticmethod
    def discard(prefetched: Prefetched) -> None:
        """Drop a prefetched search nobody awaits (a duplicate, an agent's conversation, an error)."""
        task = prefetched.task
        if not task.done():
            task.cancel()
        elif not task.cancelled():
            task.exception()  # looked at: asyncio does not log it as never retrieved

    async def _respond(
        self, inbound: Inbound, prefetched: Prefetched | None, hint: str | None = None
    ) -> Frames:
        sent: Frames = []
        conv_id = inbound.conversation_id
        seen = await self.states.load(conv_id)
        state = seen.state if seen is not None else {}
        short = len(inbound.text.split()) <= 2
        said = prefetched.said if prefetched is not None else guess_lang(self.kb.spelled(inbound.text))
        # A word or two says little: the conversation's language (or the widget's) stays. A longer text
        # that gives no sign ("presentkrot funkar inte i kassan": a typo and no word on either list) keeps
        # it too; English only when nothing is known (`detect_lang`'s rule).
        lang = (state.get("lang") or hint or "sv") if short else (said or state.get("lang") or hint or "en")
        state["lang"] = lang
        if contains_card_details(inbound.mask):
            sent.append(await self.replies.say(conv_id, "card_warning", lang, reply=False))  # not the answer
        owner = seen.owner if seen is not None else inbound.owner
        if owner == "agent":  # a person owns the conversation: the bot only acknowledges
            sent.extend(await self._while_waiting(inbound, state, lang))
            return sent
        signals = detect_signals(inbound.text)
        search: SearchResult | None = None
        if needs_search(signals, state):
            if prefetched is not None and not prefetched.task.cancelled():
                # searched before the reply language was decided: answered in the customer's language here
                search = in_language(await prefetched.task, self.kb.index.articles, lang)
            else:
                search = await self._search(inbound.text, lang, said)
        turn = Turn(inbound.text, signals, search, state, lang)
        with self.metrics.timed("decide"):
            action = decide_turn(turn)
        also: Also | None = None
        if action.feedback is not None and state.get("last_answer"):
            also = self.router.feedback(
                conv_id, state["last_answer"], action.feedback
            )  # stored with the reply
            if action.feedback is False and state.get("last_question"):
                await self.kb.record_gap(state["last_question"], "not_helpful", conv_id, inbound.channel)
        sent.extend(await self._act(conv_id, turn, action, inbound.channel, also))
        return sent

    async def _act(
        self, conv_id: int, turn: Turn, action: Action, channel: str | None, also: Also | None
    ) -> Frames:
        state, result, lang = turn.state, turn.search, turn.lang
        self.metrics.decision(action.kind, lang)
        log.debug("bot decision: %s (%s)", action.kind, lang)
        if result is not None and action.kind in ("answer", "clarify"):
            # What the bot tried travels with a later "talk to a person" into the ticket.
            state["last_attempts"] = [a.to_json() for a in result.articles[:3]]
        if action.kind == "say":
            name = await self.replies.customer_name(conv_id) if action.text_key == "greeting" else None
            if name:  # a customer the shop signed in (or Slack knows) is greeted by name
                hello = {"type": "notice", "text": say("greeting_name", lang, name=name)}
                return [await self.replies.send(conv_id, hello, state, also=also)]
            return [await self.replies.say(conv_id, action.text_key, lang, state, also=also)]
        if action.kind == "answer" and result is not None and result.best is not None:
            reply = await self.replies.answer_with(
                conv_id, result.best, result.confidence, turn.text, state, also
            )
            return [reply]
        if action.kind == "clarify" and result is not None:
            state.update(clarify_options=[a.slug for a in result.options], last_question=turn.text)
            frame = {
                "type": "clarify",
                "text": say("clarify", lang),
                "options": [article_ref(a) for a in result.options],
            }
            return [await self.replies.send(conv_id, frame, state, also=also)]
        return await self.replies.hand_off(conv_id, turn, action, channel, also)

    async def _while_waiting(self, inbound: Inbound, state: dict[str, Any], lang: str) -> Frames:
        """A customer message while a person owns the conversation: asking for a person again gets "it is
        with them", and the first message since the person (or the handoff) last spoke gets "we have it,
        a person answers here"; later ones only their ack, so the chat is not flooded."""
        conv_id, replies = inbound.conversation_id, self.replies
        waiting = await replies.waiting(int(state["handoff_ticket"])) if state.get("handoff_ticket") else None
        if detect_signals(inbound.text).wants_human:
            return [await replies.say(conv_id, "handoff_again", lang)]
        for message in reversed(await self.router.recent_messages(conv_id, limit=30)):
            if message.seq >= inbound.seq or message.internal:
                continue
            if message.kind == "notice" and (message.payload or {}).get("ack") == "waiting":
                return []  # acknowledged already since the person last spoke
            if message.kind in _WAITING_RESETS:
                break
        agent = waiting.agent if waiting is not None else None
        text = say("waiting_ack_agent", lang, agent=agent) if agent else say("waiting_ack", lang)
        return [await replies.send(conv_id, {"type": "notice", "text": text, "ack": "waiting"})]
