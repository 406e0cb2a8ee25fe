"""The dialogue policy on hand-built signals and search results: every branch of decide_turn."""

from __future__ import annotations

from typing import Any

import pytest

from bot.policy import Action, Turn, decide_turn, needs_search, unanswered_question
from bot.signals import Signals, detect_signals
from knowledge.decision import SearchResult
from knowledge.scored import ScoredArticle

NONE = Signals(False, False, False, False, False)
HUMAN = Signals(True, False, False, False, False)
FRUSTRATED = Signals(False, True, False, False, False)
NOT_HELPFUL = Signals(False, False, True, False, False)
HELPFUL = Signals(False, False, False, True, False)
GREETING = Signals(False, False, False, False, True)


def art(slug: str, score: float) -> ScoredArticle:
    return ScoredArticle(
        slug=slug,
        title=slug.replace("-", " ").title(),
        lang="sv",
        status="published",
        tags=("betalning",),
        score=score,
        dense=score,
        lexical=0.0,
        matched=slug,
        matched_kind="title",
    )


def answer(question: str = "hur betalar jag med swish?") -> SearchResult:
    best = art("swish-betalning", 1.4)
    return SearchResult(question, "answer", 1.4, [best, art("faktura", 0.9)], [best])


def clarify(question: str = "betalning") -> SearchResult:
    a, b = art("kort-nekas", 0.62), art("saker-betalning", 0.61)
    return SearchResult(question, "clarify", 0.62, [a, b], [a, b])


def handoff(question: str = "kvarkstjärnor") -> SearchResult:
    return SearchResult(question, "handoff", 0.3, [art("frakt", 0.3)], [])


def turn(text: str, signals: Signals, search: SearchResult | None, **state: Any) -> Turn:
    return Turn(text, signals, search, dict(state))


AFTER_ANSWER = {"last_answer": "swish-betalning", "last_question": "hur betalar jag med swish?"}
AFTER_CLARIFY = {"clarify_options": ["kort-nekas", "saker-betalning"], "last_question": "betalning"}


# --- explicit signals decide without a search ----------------------------------------------------------


@pytest.mark.parametrize("signals", [HUMAN, FRUSTRATED, GREETING])
def test_explicit_signals_need_no_search(signals: Signals) -> None:
    assert needs_search(signals) is False


def test_a_plain_question_is_searched() -> None:
    assert needs_search(NONE) is True


@pytest.mark.parametrize("state", [{}, AFTER_ANSWER, AFTER_CLARIFY])
def test_asked_for_human(state: dict[str, Any]) -> None:
    action = decide_turn(turn("jag vill prata med en människa", HUMAN, None, **state))
    assert (action.kind, action.reason) == ("handoff", "asked_for_human")
    assert action.feedback is None


def test_asked_for_human_wins_over_everything() -> None:
    everything = Signals(True, True, True, True, True)
    action = decide_turn(turn("x", everything, answer(), **AFTER_ANSWER))
    assert action.reason == "asked_for_human"


def test_frustrated() -> None:
    action = decide_turn(turn("det här är ju helt värdelöst!!", FRUSTRATED, None, **AFTER_ANSWER))
    assert (action.kind, action.reason) == ("handoff", "frustrated")


def test_frustrated_wins_over_a_confident_answer() -> None:
    action = decide_turn(turn("varför funkar inte swish, fan", FRUSTRATED, answer()))
    assert (action.kind, action.reason) == ("handoff", "frustrated")


@pytest.mark.parametrize("state", [AFTER_ANSWER, AFTER_CLARIFY])
def test_not_helpful_after_an_answer_or_options(state: dict[str, Any]) -> None:
    action = decide_turn(turn("det hjälpte inte", NOT_HELPFUL, None, **state))
    assert (action.kind, action.reason, action.feedback) == ("handoff", "not_helpful", False)


def test_helpful_after_an_answer() -> None:
    action = decide_turn(turn("tack, det hjälpte!", HELPFUL, None, **AFTER_ANSWER))
    assert (action.kind, action.text_key, action.feedback) == ("say", "thanks", True)


def test_helpful_without_an_answer_is_thanked_not_handed_off() -> None:
    # "tack" before the bot answered anything (after a greeting, or while options are shown) is no
    # reason to call a person.
    for state in ({}, {"lang": "sv"}, AFTER_CLARIFY):
        action = decide_turn(turn("tack!", HELPFUL, None, **state))
        assert (action.kind, action.text_key) == ("say", "thanks"), state


def test_not_helpful_without_an_answer_is_searched_like_a_question() -> None:
    # "Swish hjälper inte, betalningen går inte igenom" as a first message is a question, not feedback.
    assert needs_search(NOT_HELPFUL, {}) is True
    assert needs_search(NOT_HELPFUL, AFTER_ANSWER) is False
    assert needs_search(HELPFUL, AFTER_ANSWER) is False
    text = "Swish hjälper inte, betalningen går inte igenom"
    action = decide_turn(turn(text, NOT_HELPFUL, answer(text)))
    assert action.kind == "answer"


def test_greeting() -> None:
    action = decide_turn(turn("hej!", GREETING, None))
    assert (action.kind, action.text_key) == ("say", "greeting")
    assert action.feedback is None


def test_answer() -> None:
    assert decide_turn(turn("hur betalar jag med swish?", NONE, answer())).kind == "answer"


def test_answer_after_a_clarify_round() -> None:
    # A new, clear question after options were shown is simply answered.
    assert decide_turn(turn("swish", NONE, answer("swish"), **AFTER_CLARIFY)).kind == "answer"


def test_clarify() -> None:
    action = decide_turn(turn("betalning", NONE, clarify()))
    assert action.kind == "clarify"


def test_second_clarify_hands_off() -> None:
    action = decide_turn(turn("betala", NONE, clarify("betala"), **AFTER_CLARIFY))
    assert (action.kind, action.reason) == ("handoff", "clarify_failed")


def test_no_answer_after_options_is_clarify_failed() -> None:
    action = decide_turn(turn("inget av dem", NONE, handoff("inget av dem"), **AFTER_CLARIFY))
    assert (action.kind, action.reason) == ("handoff", "clarify_failed")


@pytest.mark.parametrize("search", [None, handoff()])
def test_no_answer_hands_off(search: SearchResult | None) -> None:
    action = decide_turn(turn("kvarkstjärnor", NONE, search))
    assert (action.kind, action.reason) == ("handoff", "no_answer")


# --- the ticket's question ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["människa", "jag vill prata med en person", "agent please", "kundtjänst tack"]
)
def test_a_bare_ask_for_a_person_never_becomes_the_question(text: str) -> None:
    signals = detect_signals(text)
    assert signals.wants_human, text
    t = turn(text, signals, None)
    action = decide_turn(t)
    assert unanswered_question(t, action) is None
    # With an earlier question, that one is what the agent sees.
    t = turn(text, signals, None, **AFTER_ANSWER)
    assert unanswered_question(t, decide_turn(t)) == "hur betalar jag med swish?"


def test_human_button_uses_the_last_question() -> None:
    t = turn("", HUMAN, None, **AFTER_CLARIFY)
    assert unanswered_question(t, Action("handoff", reason="asked_for_human")) == "betalning"
    t = turn("", HUMAN, None)
    assert unanswered_question(t, Action("handoff", reason="asked_for_human")) is None


def test_not_helpful_question_is_the_one_answered_badly() -> None:
    t = turn("det hjälpte inte", NOT_HELPFUL, None, **AFTER_ANSWER)
    assert unanswered_question(t, decide_turn(t)) == "hur betalar jag med swish?"


def test_frustrated_question() -> None:
    # Frustration after a question: the question is what went unanswered.
    t = turn("skit också!!", FRUSTRATED, None, **AFTER_ANSWER)
    assert unanswered_question(t, decide_turn(t)) == "hur betalar jag med swish?"
    # Frustration as the first message carries the question itself.
    t = turn("varför funkar inte swish, fan", FRUSTRATED, None)
    assert unanswered_question(t, decide_turn(t)) == "varför funkar inte swish, fan"


@pytest.mark.parametrize("state", [{}, AFTER_CLARIFY])
def test_no_answer_question_is_the_message(state: dict[str, Any]) -> None:
    t = turn("kvarkstjärnor", NONE, handoff(), **state)
    assert unanswered_question(t, decide_turn(t)) == "kvarkstjärnor"
