"""The in-memory search index: dense vectors, BM25 and character n-grams over titles, example questions
and passages, fused into one score per article.

The index is assembled from per-article blocks (`ArticleBlock`: units, their vectors, their term counts);
changing one article builds that article's block and re-assembles, which stacks arrays and reuses every
other block as it is (`SearchIndex.replace`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from knowledge.head import HeadStats, RidgeHead
from knowledge.index_blocks import ArticleBlock, IndexedArticle, Prefixes, Unit, article_units
from knowledge.lexical import LexicalIndex
from knowledge.scored import Fusion, ScoredArticle
from knowledge.spelling import Speller


def _segment_max(values: np.ndarray, mask: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per article, the largest of `values` where `mask` holds (0 where it holds nowhere)."""
    masked = np.where(mask, values, -np.inf)
    best = np.maximum.reduceat(masked, starts)
    return np.where(np.isfinite(best), best, 0.0).astype(np.float32)


@dataclass
class SearchIndex:
    """Immutable once built; an edit builds a new one (from the other articles' blocks) and swaps it in."""

    blocks: list[ArticleBlock]
    dim: int
    fusion: Fusion = field(default_factory=Fusion)
    prefixes: Prefixes = field(default_factory=Prefixes)
    head_stats: HeadStats | None = None  # given by `replace`: updated, not summed again

    def __post_init__(self) -> None:
        self.articles = [b.article for b in self.blocks]
        self.units = [
            Unit(i, kind, text)
            for i, b in enumerate(self.blocks)
            for kind, text in zip(b.kinds, b.texts, strict=True)
        ]
        self.matrix = (
            np.ascontiguousarray(np.concatenate([b.vectors for b in self.blocks]))
            if self.blocks
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        sizes = np.array([len(b.texts) for b in self.blocks], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if len(sizes) else sizes
        self.unit_article = np.repeat(np.arange(len(self.blocks)), sizes)
        self.is_passage = np.array([u.kind == "passage" for u in self.units], dtype=bool)
        self.has_passages = (
            np.logical_or.reduceat(self.is_passage, self.starts) if self.units else np.zeros(0, dtype=bool)
        )
        self.lexical = LexicalIndex([b.lexical for b in self.blocks])
        self.speller = Speller(u.text for u in self.units)  # built here, off the event loop
        self.sizes = sizes
        # Each article's centroid (the mean of its unit vectors) enters only through its squared norm: a
        # question's dot product with it is the mean of its cosines with the article's units. The head's
        # per-block sums already hold Σx and the count, built once per article version.
        totals = np.stack([b.head.total for b in self.blocks]) if self.blocks else np.ones((0, self.dim + 1))
        self.centroid_norm2 = np.square(totals[:, :-1] / totals[:, -1:]).sum(axis=1)
        if self.head_stats is None:
            self.head_stats = HeadStats.of([b.head for b in self.blocks], self.dim)
        self.head = RidgeHead.fit(self.head_stats, [b.head for b in self.blocks])

    @classmethod
    def build(
        cls,
        articles: Sequence[IndexedArticle],
        vectors: Mapping[str, np.ndarray],
        dim: int,
        fusion: Fusion | None = None,
        prefixes: Prefixes | None = None,
    ) -> SearchIndex:
        """`vectors` maps `text_hash(prefixes.embed_text(unit))` to its embedding for every unit."""
        p = prefixes or Prefixes()
        return cls([ArticleBlock.build(a, vectors, p) for a in articles], dim, fusion or Fusion(), p)

    def replace(
        self, removed: set[str], added: Sequence[IndexedArticle], vectors: Mapping[str, np.ndarray]
    ) -> SearchIndex:
        """A new index without the articles `removed` (slugs) and with `added` (new or changed ones, which
        replace those of the same slug in place); only the added articles' blocks are built."""
        fresh = {a.slug: ArticleBlock.build(a, vectors, self.prefixes) for a in added}
        built = list(fresh.values())
        dropped = [b for b in self.blocks if b.article.slug in removed or b.article.slug in fresh]
        blocks = [fresh.pop(b.article.slug, b) for b in self.blocks if b.article.slug not in removed]
        blocks += list(fresh.values())  # new articles go last
        assert self.head_stats is not None
        stats = self.head_stats.replace([b.head for b in dropped], [b.head for b in built])
        return SearchIndex(blocks, self.dim, self.fusion, self.prefixes, stats)

    @staticmethod
    def texts_of(articles: Sequence[IndexedArticle], prefixes: Prefixes | None = None) -> list[str]:
        """Every text the index embeds (prefixed as the model wants), for the embedding cache."""
        p = prefixes or Prefixes()
        return [p.embed_text(u) for i, a in enumerate(articles) for u in article_units(a, i)]

    def __len__(self) -> int:
        return len(self.articles)

    @cached_property
    def by_slug(self) -> dict[str, IndexedArticle]:
        return {a.slug: a for a in self.articles}

    @cached_property
    def _published(self) -> np.ndarray:
        return np.array([a.status == "published" for a in self.articles], dtype=bool)

    def published_mask(self) -> np.ndarray:
        return self._published

    @cached_property
    def main_lang(self) -> str | None:
        """The language most main articles (not versions of another) are written in."""
        from collections import Counter

        langs = Counter(a.lang for a in self.articles if (a.group or a.slug) == a.slug)
        return langs.most_common(1)[0][0] if langs else None

    @cached_property
    def _groups(self) -> np.ndarray | None:
        """Each article's language-version group as an integer; None when no article has versions."""
        keys = [a.group or a.slug for a in self.articles]
        if len(set(keys)) == len(keys):
            return None
        return np.unique(np.array(keys, dtype=object), return_inverse=True)[1]

    def best_of_groups(self, score: np.ndarray) -> np.ndarray:
        """`score` with every article but the best of its language-version group at -inf: versions of one
        article are one candidate (or the decision would find them too close to call)."""
        groups = self._groups
        if groups is None:
            return score
        order = np.argsort(-score, kind="stable")
        _, first = np.unique(groups[order], return_index=True)
        keep = np.zeros(len(score), dtype=bool)
        keep[order[first]] = True
        return np.where(keep, score, -np.inf)

    def _lang_mask(self, lang: str) -> np.ndarray:
        masks: dict[str, np.ndarray] = self.__dict__.setdefault("_lang_masks", {})
        if lang not in masks:
            masks[lang] = np.array([a.lang == lang for a in self.articles], dtype=bool)
        return masks[lang]

    def signals(
        self,
        query_text: str,
        dense: np.ndarray,
        fusion: Fusion,
        exclude: np.ndarray | None = None,
        head: np.ndarray | None = None,
        lexical: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """(fused score per article, each signal per article, the per-unit score used to pick `matched`).
        `exclude`: units to leave out (leave-one-out calibration asks an example question without itself);
        `head`: the article classifier's output per article (`self.head.scores(vector)`);
        `lexical`: `self.lexical.scores(query_text)` if computed already.
        """
        bm25, chars = lexical if lexical is not None else self.lexical.scores(query_text)
        centroid = self._centroid(dense, exclude)
        if exclude is not None:
            dense = np.where(exclude, -1.0, dense)
            bm25 = np.where(exclude, 0.0, bm25)
            chars = np.where(exclude, 0.0, chars)
        lex = bm25 / (bm25 + fusion.lexical_scale)
        starts = self.starts
        is_q = ~self.is_passage
        best_q = _segment_max(dense, is_q, starts)
        per = {
            "dense": best_q,
            # An article without a body is not worse for it: its questions stand in for its passages.
            "passage": np.where(self.has_passages, _segment_max(dense, self.is_passage, starts), best_q),
            "lexical": np.maximum.reduceat(lex, starts),
            "chars": np.maximum.reduceat(chars, starts),
        }
        score = (
            fusion.question_weight * per["dense"]
            + fusion.passage_weight * per["passage"]
            + fusion.lexical_weight * per["lexical"]
            + fusion.char_weight * per["chars"]
        )
        per["head"] = head if head is not None else np.zeros(len(self.blocks), dtype=np.float32)
        if fusion.head_weight:
            score = score + fusion.head_weight * per["head"]
        per["centroid"] = centroid
        if fusion.centroid_weight:
            score = score + fusion.centroid_weight * centroid
        unit_score = (
            np.where(is_q, fusion.question_weight, fusion.passage_weight) * dense
            + fusion.lexical_weight * lex
            + fusion.char_weight * chars
        )
        return score, per, unit_score

    def _centroid(self, dense: np.ndarray, exclude: np.ndarray | None) -> np.ndarray:
        """Per article, 1 − ‖q − centroid‖² for a unit question vector q (2 q·c − ‖c‖²): how close the
        question is to the middle of the article's texts; `exclude`d units are left out of the centroid."""
        if exclude is None or not exclude.any():
            dot = np.add.reduceat(dense.astype(np.float64), self.starts) / self.sizes
            return (2.0 * dot - self.centroid_norm2).astype(np.float32)
        keep = ~exclude
        counts = np.maximum(np.add.reduceat(keep.astype(np.int64), self.starts), 1)
        dot = np.add.reduceat(np.where(keep, dense, 0.0).astype(np.float64), self.starts) / counts
        norm2 = self.centroid_norm2.copy()
        for a in np.unique(self.unit_article[exclude]):
            lo = int(self.starts[a])
            rows = self.matrix[lo : lo + int(self.sizes[a])][keep[lo : lo + int(self.sizes[a])]]
            norm2[a] = float(np.square(rows.astype(np.float64).mean(axis=0)).sum()) if len(rows) else 0.0
        return (2.0 * dot - norm2).astype(np.float32)

    VERBATIM = 0.995  # a cosine this close to an example question: the customer typed that question

    def _verbatim_first(self, best: np.ndarray, dense_units: np.ndarray) -> np.ndarray:
        """An article one of whose example questions the customer typed (case and spacing aside) ranks
        first: an admin who added that question, or an agent's resolve that taught it, said where it goes,
        whatever the other signals make of its neighbours."""
        hits = np.flatnonzero((dense_units >= self.VERBATIM) & ~self.is_passage)
        if not len(hits):
            return best
        a = int(self.unit_article[hits[np.argmax(dense_units[hits])]])
        top = float(np.max(best))
        if best[a] >= top:
            return best
        best = best.copy()
        best[a] = top + 1e-3
        return best

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
        lexical: tuple[np.ndarray, np.ndarray] | None = None,
        extra: np.ndarray | None = None,
    ) -> list[ScoredArticle]:
        """The best articles for a question; `dense` is `self.matrix @ query_vec` and `lexical`
        `self.lexical.scores(query_text)`, if known already; `extra`: a score per article to add (a
        second model's opinion, knowledge/ensemble.py)."""
        if not self.units:
            return []
        dense_units = self.matrix @ query_vec if dense is None else dense
        f = fusion or self.fusion
        head = self.head.scores(query_vec) if f.head_weight else None
        best, per, unit_score = self.signals(query_text, dense_units, f, head=head, lexical=lexical)
        if extra is not None:
            best = best + extra
        best = self._verbatim_first(best, dense_units)
        allowed = np.ones(len(self.articles), dtype=bool)
        if not include_drafts:
            allowed &= self._published
        if lang:
            same = self._lang_mask(lang)
            if same[allowed].any():  # a language with no articles falls back to all
                allowed &= same
        best = self.best_of_groups(np.where(allowed, best, -np.inf))
        k = min(limit, int(np.isfinite(best).sum()))
        if k <= 0:
            return []
        top = np.argpartition(-best, k - 1)[:k]
        top = top[np.argsort(-best[top])]
        out = []
        for a in top:
            lo = int(self.starts[a])
            hi = lo + len(self.blocks[a].texts)
            u = lo + int(np.argmax(unit_score[lo:hi]))
            art = self.articles[a]
            out.append(
                ScoredArticle(
                    slug=art.slug,
                    title=art.title,
                    lang=art.lang,
                    status=art.status,
                    tags=art.tags,
                    score=float(best[a]),
                    dense=float(per["dense"][a]),
                    lexical=float(per["lexical"][a]),
                    matched=self.units[u].text,
                    matched_kind=self.units[u].kind,
                    passage=float(per["passage"][a]),
                    chars=float(per["chars"][a]),
                    head=float(per["head"][a]),
                    centroid=float(per["centroid"][a]),
                    group=art.group,
                )
            )
        return out
