"""The dialogue policy: answer, clarify or hand off. Pure decisions; it knows no channel or database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.signals import Signals
from knowledge import SearchResult

ActionKind = Literal["answer", "clarify", "handoff", "say"]


@dataclass
class Action:
    kind: ActionKind
    reason: str = ""  # why: no_answer, asked_for_human, frustrated, clarify_failed, not_helpful, ...
    text_key: str = ""  # for `say`
    feedback: bool | None = None  # record helpful / not helpful on the last answered article


@dataclass
class Turn:
    """What the policy looks at for one customer message."""

    text: str
    signals: Signals
    search: SearchResult | None
    state: dict[str, Any] = field(default_factory=dict)  # the bot's state (bot/bot_state.py)
    lang: str = "sv"  # the customer's language, detected once per message


def needs_search(signals: Signals, state: dict[str, Any] | None = None) -> bool:
    """Explicit signals decide without a search; everything else goes to the knowledge base.

    "It did not help" with nothing answered yet is a question ("Swish hjälper inte, ..."): searched.
    """
    state = state or {}
    judged = bool(state.get("last_answer") or state.get("clarify_options"))
    return not (
        signals.wants_human
        or signals.frustrated
        or (signals.not_helpful and judged)
        or signals.helpful
        or signals.greeting
    )


def decide_turn(turn: Turn) -> Action:
    s, state = turn.signals, turn.state
    if s.wants_human:
        return Action("handoff", reason="asked_for_human")
    if s.frustrated:
        return Action("handoff", reason="frustrated")
    if s.not_helpful and (state.get("last_answer") or state.get("clarify_options")):
        return Action("handoff", reason="not_helpful", feedback=False)
    if s.helpful:  # "tack" with no answer to thank for is still no reason to call a person
        return Action("say", text_key="thanks", feedback=True if state.get("last_answer") else None)
    if s.greeting:
        return Action("say", text_key="greeting")
    result = turn.search
    if result is None or result.decision == "handoff":
        reason = "clarify_failed" if state.get("clarify_options") else "no_answer"
        return Action("handoff", reason=reason)
    if result.decision == "clarify":
        if state.get("clarify_options"):
            # A second round of "which one?" helps nobody: a person takes it.
            return Action("handoff", reason="clarify_failed")
        return Action("clarify")
    return Action("answer")


def unanswered_question(turn: Turn, action: Action) -> str | None:
    """The question that led to the handoff: the last real question, never a bare ask for a person."""
    if action.reason in ("asked_for_human", "not_helpful") or (
        action.reason == "frustrated" and turn.state.get("last_question")
    ):
        return turn.state.get("last_question") or None
    return turn.text
