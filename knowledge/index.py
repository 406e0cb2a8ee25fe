"""The in-memory search index: dense vectors and BM25 over titles, example questions and passages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import bm25s
import numpy as np

from knowledge.text import passages, text_hash, tokenize


@dataclass(frozen=True)
class IndexedArticle:
    slug: str
    title: str
    lang: str = "sv"
    status: str = "published"
    tags: tuple[str, ...] = ()
    body: str = ""
    questions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unit:
    """One indexed piece of text and the article it belongs to."""

    article: int
    kind: str  # title | question | passage
    text: str


@dataclass
class ScoredArticle:
    slug: str
    title: str
    lang: str
    status: str
    tags: tuple[str, ...]
    score: float
    dense: float
    lexical: float
    matched: str  # the indexed text that matched best: why this article
    matched_kind: str

    def to_json(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "title": self.title,
            "lang": self.lang,
            "status": self.status,
            "tags": list(self.tags),
            "score": round(self.score, 4),
            "dense": round(self.dense, 4),
            "lexical": round(self.lexical, 4),
            "matched": self.matched,
            "matched_kind": self.matched_kind,
        }


@dataclass(frozen=True)
class Fusion:
    """How dense and lexical scores combine: score = dense + weight * bm25 / (bm25 + scale)."""

    lexical_weight: float = 0.15
    lexical_scale: float = 8.0


def article_units(article: IndexedArticle, position: int) -> list[Unit]:
    units = [Unit(position, "title", article.title)]
    units += [Unit(position, "question", q) for q in article.questions]
    units += [Unit(position, "passage", p) for p in passages(article.body)]
    return units


@dataclass
class SearchIndex:
    """Immutable once built; an edit builds a new one from cached vectors (cheap) and swaps it in."""

    articles: list[IndexedArticle]
    units: list[Unit]
    matrix: np.ndarray  # (units, dim), normalised
    unit_article: np.ndarray  # (units,) article position of each unit
    starts: np.ndarray  # first unit of each article (units are grouped by article)
    bm25: bm25s.BM25 | None
    fusion: Fusion = field(default_factory=Fusion)

    @classmethod
    def build(
        cls,
        articles: Sequence[IndexedArticle],
        vectors: Mapping[str, np.ndarray],
        dim: int,
        fusion: Fusion | None = None,
    ) -> SearchIndex:
        """`vectors` maps `text_hash(text)` to its embedding for every unit text."""
        kept = [a for a in articles]
        units: list[Unit] = []
        for i, art in enumerate(kept):
            units.extend(article_units(art, i))
        matrix = (
            np.stack([vectors[text_hash(u.text)] for u in units]).astype(np.float32)
            if units
            else np.zeros((0, dim), dtype=np.float32)
        )
        unit_article = np.array([u.article for u in units], dtype=np.int64)
        starts = np.searchsorted(unit_article, np.arange(len(kept))) if units else np.zeros(0, np.int64)
        bm25 = None
        if units:
            bm25 = bm25s.BM25()
            bm25.index([tokenize(u.text) for u in units], show_progress=False)
        return cls(kept, units, matrix, unit_article, starts, bm25, fusion or Fusion())

    @staticmethod
    def texts_of(articles: Sequence[IndexedArticle]) -> list[str]:
        """Every text the index embeds, for the embedding cache."""
        return [u.text for i, a in enumerate(articles) for u in article_units(a, i)]

    def __len__(self) -> int:
        return len(self.articles)

    @cached_property
    def by_slug(self) -> dict[str, IndexedArticle]:
        return {a.slug: a for a in self.articles}

    @cached_property
    def _published(self) -> np.ndarray:
        return np.array([a.status == "published" for a in self.articles], dtype=bool)

    def _lang_mask(self, lang: str) -> np.ndarray:
        masks: dict[str, np.ndarray] = self.__dict__.setdefault("_lang_masks", {})
        if lang not in masks:
            masks[lang] = np.array([a.lang == lang for a in self.articles], dtype=bool)
        return masks[lang]

    def score(
        self,
        query_vec: np.ndarray,
        query_text: str,
        *,
        include_drafts: bool = False,
        lang: str | None = None,
        limit: int = 5,
        fusion: Fusion | None = None,
        dense: np.ndarray | None = None,
    ) -> list[ScoredArticle]:
        """The best articles for a question; `dense` is `self.matrix @ query_vec` if known already."""
        if not self.units:
            return []
        dense_units = self.matrix @ query_vec if dense is None else dense
        tokens = tokenize(query_text)
        lex_units = np.zeros(len(self.units), dtype=np.float32)
        if tokens and self.bm25 is not None:
            known = [t for t in tokens if t in self.bm25.vocab_dict]
            if known:
                lex_units = np.asarray(self.bm25.get_scores(known), dtype=np.float32)
        f = fusion or self.fusion
        lex_norm = lex_units / (lex_units + f.lexical_scale)
        combined = dense_units + f.lexical_weight * lex_norm
        # Best unit per article: units are grouped by article, so a segmented max does it.
        best = np.maximum.reduceat(combined, self.starts)
        allowed = np.ones(len(self.articles), dtype=bool)
        if not include_drafts:
            allowed &= self._published
        if lang:
            same = self._lang_mask(lang)
            if same[allowed].any():  # a language with no articles falls back to all
                allowed &= same
        best = np.where(allowed, best, -np.inf)
        k = min(limit, int(allowed.sum()))
        if k <= 0:
            return []
        top = np.argpartition(-best, k - 1)[:k]
        top = top[np.argsort(-best[top])]
        out = []
        for a in top:
            lo = int(self.starts[a])
            hi = int(self.starts[a + 1]) if a + 1 < len(self.starts) else len(self.units)
            u = lo + int(np.argmax(combined[lo:hi]))
            art = self.articles[a]
            out.append(
                ScoredArticle(
                    slug=art.slug,
                    title=art.title,
                    lang=art.lang,
                    status=art.status,
                    tags=art.tags,
                    score=float(best[a]),
                    dense=float(dense_units[u]),
                    lexical=float(lex_norm[u]),
                    matched=self.units[u].text,
                    matched_kind=self.units[u].kind,
                )
            )
        return out
