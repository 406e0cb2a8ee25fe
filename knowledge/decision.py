"""The decision: answer (confident), clarify (two or three too close to call) or hand off."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from config import SearchSettings
from knowledge.index import ScoredArticle

DecisionKind = Literal["answer", "clarify", "handoff"]


@dataclass
class SearchResult:
    question: str
    decision: DecisionKind
    confidence: float
    articles: list[ScoredArticle] = field(default_factory=list)  # ranked, best first
    options: list[ScoredArticle] = field(default_factory=list)  # what to offer on clarify

    @property
    def best(self) -> ScoredArticle | None:
        return self.articles[0] if self.articles else None

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "decision": self.decision,
            "confidence": round(self.confidence, 4),
            "articles": [a.to_json() for a in self.articles],
            "options": [a.slug for a in self.options],
        }


def decide(question: str, ranked: list[ScoredArticle], settings: SearchSettings) -> SearchResult:
    if not ranked:
        return SearchResult(question, "handoff", 0.0, [], [])
    top = ranked[0].score
    second = ranked[1].score if len(ranked) > 1 else float("-inf")
    margin = settings.clarify_margin
    if top >= settings.answer_threshold and top - second >= margin:
        return SearchResult(question, "answer", top, ranked, [ranked[0]])
    if top >= settings.clarify_threshold:
        # Offer the articles close to the best; at least two when a second is plausible at all.
        close = [a for a in ranked[:3] if a.score >= max(settings.clarify_threshold, top - 2 * margin)]
        if len(close) < 2 and len(ranked) > 1 and ranked[1].score >= settings.clarify_threshold - margin:
            close = ranked[:2]
        if len(close) >= 2:
            return SearchResult(question, "clarify", top, ranked, close)
        if top >= settings.answer_threshold:
            return SearchResult(question, "answer", top, ranked, [ranked[0]])
    return SearchResult(question, "handoff", top, ranked, [])
