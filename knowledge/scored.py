"""What a search gives: `ScoredArticle` (one article's fused score and its signals) and `Fusion` (how the
signals combine into that score)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ScoredArticle:
    slug: str
    title: str
    lang: str
    status: str
    tags: tuple[str, ...]
    score: float
    dense: float  # best cosine with a title or example question
    lexical: float  # BM25, squashed to 0..1
    matched: str  # the indexed text that matched best: why this article
    matched_kind: str
    passage: float = 0.0  # best cosine with a passage of the body
    chars: float = 0.0  # best character-n-gram cosine
    head: float = 0.0  # the article classifier's output (knowledge/head.py)
    centroid: float = 0.0  # 1 − ‖question − the mean of the article's unit vectors‖² (knowledge/index.py)
    group: str | None = None  # language versions of one article share a group

    def to_json(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "title": self.title,
            "lang": self.lang,
            "status": self.status,
            "tags": list(self.tags),
            "score": round(self.score, 4),
            "dense": round(self.dense, 4),
            "passage": round(self.passage, 4),
            "lexical": round(self.lexical, 4),
            "chars": round(self.chars, 4),
            "head": round(self.head, 4),
            "centroid": round(self.centroid, 4),
            "matched": self.matched,
            "matched_kind": self.matched_kind,
        }


@dataclass(frozen=True)
class Fusion:
    """How the signals combine into one score per article:

    question · (best cosine with a title or example question) + passage · (best cosine with a body
    passage) + lexical · bm25 / (bm25 + lexical_scale) + chars · (best character-n-gram cosine)
    + head · (the article classifier's output) + centroid · (1 − the squared distance to the mean of
    the article's unit vectors)."""

    lexical_weight: float = 0.0
    lexical_scale: float = 3.0
    question_weight: float = 1.0
    passage_weight: float = 1.0
    char_weight: float = 0.05
    head_weight: float = 0.2
    centroid_weight: float = 0.25

    @classmethod
    def of(cls, settings: Any) -> Fusion:
        """From `SearchSettings` (or a language's view of them)."""
        return cls(
            lexical_weight=settings.lexical_weight,
            lexical_scale=settings.lexical_scale,
            question_weight=settings.question_weight,
            passage_weight=settings.passage_weight,
            char_weight=settings.char_weight,
            head_weight=settings.head_weight,
            centroid_weight=settings.centroid_weight,
        )
