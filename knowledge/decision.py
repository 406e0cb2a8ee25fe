"""The decision: answer (confident), clarify (two or three too close to call) or hand off."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from config import SearchSettings
from knowledge.calibration import Calibration, features
from knowledge.scored import ScoredArticle

DecisionKind = Literal["answer", "clarify", "handoff"]


@dataclass
class SearchResult:
    question: str
    decision: DecisionKind
    confidence: float
    articles: list[ScoredArticle] = field(default_factory=list)  # ranked, best first
    options: list[ScoredArticle] = field(default_factory=list)  # what to offer on clarify
    # The confidence's thresholds: on the calibrated 0–1 scale, or raw scores when not calibrated.
    answer_threshold: float = 0.0
    clarify_threshold: float = 0.0
    calibrated: bool = False
    searched: str | None = None  # the question as searched, when spelling put words right (search.spelling)

    @property
    def best(self) -> ScoredArticle | None:
        return self.articles[0] if self.articles else None

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "decision": self.decision,
            "confidence": round(self.confidence, 4),
            "calibrated": self.calibrated,
            "thresholds": {
                "answer": round(self.answer_threshold, 4),
                "clarify": round(self.clarify_threshold, 4),
            },
            "articles": [a.to_json() for a in self.articles],
            "options": [a.slug for a in self.options],
            **({"searched": self.searched} if self.searched is not None else {}),
        }


def confidence_of(ranked: list[ScoredArticle], calibration: Calibration | None) -> float:
    if not ranked:
        return 0.0
    if calibration is None:
        return ranked[0].score
    top = ranked[0]
    return calibration.confidence(features(top.score, top.dense, top.passage, top.centroid))


def decide(
    question: str,
    ranked: list[ScoredArticle],
    settings: SearchSettings,
    calibration: Calibration | None = None,
) -> SearchResult:
    """With a calibration, the confidence is the probability that the top article is right, compared with
    `answer_confidence` / `clarify_confidence`; without one, the raw top score with `answer_threshold` /
    `clarify_threshold` (and the margin rule: two articles within `clarify_margin` are too close)."""
    if calibration is not None:
        answer_t, clarify_t = settings.answer_confidence, settings.clarify_confidence
    else:
        answer_t, clarify_t = settings.answer_threshold, settings.clarify_threshold

    def result(kind: DecisionKind, conf: float, options: list[ScoredArticle]) -> SearchResult:
        return SearchResult(
            question, kind, conf, ranked, options, answer_t, clarify_t, calibration is not None
        )

    if not ranked:
        return result("handoff", 0.0, [])
    conf = confidence_of(ranked, calibration)
    top = ranked[0].score
    second = ranked[1].score if len(ranked) > 1 else float("-inf")
    margin = settings.clarify_margin
    if calibration is not None:
        if conf >= answer_t and top - second >= margin:
            return result("answer", conf, [ranked[0]])
        # Confident but two articles within the margin of each other: let the customer choose.
        if conf >= clarify_t and len(ranked) > 1:
            close = [a for a in ranked[:3] if a.score >= top - 2 * margin]
            return result("clarify", conf, close if len(close) >= 2 else ranked[:2])
        return result("handoff", conf, [])
    if conf >= answer_t and top - second >= margin:
        return result("answer", conf, [ranked[0]])
    if conf >= clarify_t:
        # Offer the articles close to the best; at least two when a second is plausible at all.
        close = [a for a in ranked[:3] if a.score >= max(clarify_t, top - 2 * margin)]
        if len(close) < 2 and len(ranked) > 1 and second >= clarify_t - margin:
            close = ranked[:2]
        if len(close) >= 2:
            return result("clarify", conf, close)
        if conf >= answer_t:
            return result("answer", conf, [ranked[0]])
    return result("handoff", conf, [])
