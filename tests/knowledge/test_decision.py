"""`decide`: answer, clarify or hand off from the ranked scores and the thresholds."""

from __future__ import annotations

import pytest

from config import SearchSettings
from knowledge import ScoredArticle, decide

RULES = SearchSettings(answer_threshold=0.6, clarify_threshold=0.5, clarify_margin=0.05)


def ranked(*scores: float) -> list[ScoredArticle]:
    return [
        ScoredArticle(
            slug=f"a{i}",
            title=f"A{i}",
            lang="en",
            status="published",
            tags=(),
            score=s,
            dense=s,
            lexical=0.0,
            matched=f"a{i}",
            matched_kind="title",
        )
        for i, s in enumerate(scores)
    ]


@pytest.mark.parametrize(
    ("scores", "decision", "options"),
    [
        ((), "handoff", []),
        ((0.9,), "answer", ["a0"]),
        ((0.8, 0.5), "answer", ["a0"]),
        ((0.8, 0.74), "answer", ["a0"]),  # margin 0.06
        ((0.8, 0.78, 0.3), "clarify", ["a0", "a1"]),
        ((0.8, 0.77, 0.72, 0.71), "clarify", ["a0", "a1", "a2"]),  # at most three, all within 2 margins
        ((0.8, 0.78, 0.65), "clarify", ["a0", "a1"]),  # 0.65 is more than two margins below
        ((0.62, 0.6, 0.49), "clarify", ["a0", "a1"]),
        ((0.58, 0.56), "clarify", ["a0", "a1"]),  # neither is good enough to answer alone
        ((0.55, 0.47), "clarify", ["a0", "a1"]),  # a plausible second within a margin of the bar
        ((0.55, 0.3), "handoff", []),  # between the bars, nothing to offer beside it
        ((0.55,), "handoff", []),
        ((0.65, 0.3), "answer", ["a0"]),
        ((0.49, 0.48, 0.47), "handoff", []),
        ((0.1, 0.05), "handoff", []),
    ],
)
def test_decide(scores: tuple[float, ...], decision: str, options: list[str]) -> None:
    result = decide("q?", ranked(*scores), RULES)
    assert result.decision == decision
    assert [o.slug for o in result.options] == options
    assert result.confidence == (scores[0] if scores else 0.0)
    assert [a.slug for a in result.articles] == [f"a{i}" for i in range(len(scores))]
    assert result.question == "q?"
    data = result.to_json()
    assert data["decision"] == decision
    assert data["options"] == options


def test_decide_boundaries_are_inclusive() -> None:
    rules = SearchSettings(answer_threshold=0.75, clarify_threshold=0.5, clarify_margin=0.25)
    assert decide("q", ranked(0.75, 0.5), rules).decision == "answer"
    assert decide("q", ranked(0.75, 0.5625), rules).decision == "clarify"
    assert decide("q", ranked(0.5), rules).decision == "handoff"
    assert decide("q", ranked(0.5, 0.25), rules).decision == "clarify"
    assert decide("q", ranked(0.5, 0.125), rules).decision == "handoff"


def test_decide_follows_the_settings() -> None:
    scores = ranked(0.7, 0.6)
    raw = {"answer_threshold": 0.6, "clarify_threshold": 0.5}  # raw scores: no calibration passed
    assert decide("q", scores, SearchSettings(**raw, clarify_margin=0.05)).decision == "answer"
    assert decide("q", scores, SearchSettings(**raw, clarify_margin=0.2)).decision == "clarify"
    assert decide("q", scores, SearchSettings(answer_threshold=0.8, clarify_threshold=0.75)).decision == (
        "handoff"
    )
