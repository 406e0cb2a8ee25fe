"""Per-question, per-article search signals for tuning and comparing fusion weights offline.

`signal_table` asks every question of a set against a knowledge base once and keeps every signal the
index computes (best question cosine, best passage cosine, raw BM25, character n-grams) for every
article, so that weights can be searched with numpy instead of re-running the search.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import ModelSettings
from knowledge.embedder import Embedder
from knowledge.evaluation import EvalCase, auroc
from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import Fusion
from knowledge.text import text_hash

_EMBEDDERS: dict[str, Embedder] = {}


def embedder(name: str, dtype: str = "float32") -> Embedder:
    key = f"{name}@{dtype}"
    if key not in _EMBEDDERS:
        e = Embedder(ModelSettings(name=name, worker="thread", threads=0, dtype=dtype))  # type: ignore[arg-type]
        e.load_sync()
        _EMBEDDERS[key] = e
    return _EMBEDDERS[key]


def encode_all(emb: Embedder, texts: Sequence[str]) -> dict[str, np.ndarray]:
    unique = list(dict.fromkeys(texts))
    vecs = emb.encode_sync(unique)
    return {text_hash(t): v for t, v in zip(unique, vecs, strict=True)}


@dataclass
class SignalTable:
    slugs: list[str]
    expected: list[str | None]
    questions: list[str]
    dense: np.ndarray  # (questions, articles)
    passage: np.ndarray
    bm25: np.ndarray  # raw BM25 (before squashing)
    chars: np.ndarray
    head: np.ndarray  # the article classifier's output
    groups: list[str]  # each article's language-version group: a version of the expected article is a hit

    def fused(self, f: Fusion) -> np.ndarray:
        lex = self.bm25 / (self.bm25 + f.lexical_scale)
        return (
            f.question_weight * self.dense
            + f.passage_weight * self.passage
            + f.lexical_weight * lex
            + f.char_weight * self.chars
            + f.head_weight * self.head
        )

    def metrics(self, scores: np.ndarray) -> dict[str, float]:
        group_id = {g: i for i, g in enumerate(dict.fromkeys(self.groups))}
        article_group = np.array([group_id[g] for g in self.groups])
        gold = np.array(
            [article_group[self.slugs.index(e)] if e is not None else -1 for e in self.expected]
        )
        top = article_group[scores.argmax(axis=1)]
        best = scores.max(axis=1)
        inscope = gold >= 0
        top1 = float((top[inscope] == gold[inscope]).mean()) if inscope.any() else float("nan")
        auc = auroc(best[inscope].tolist(), best[~inscope].tolist()) if (~inscope).any() else None
        return {"top1": top1, "auroc": float("nan") if auc is None else auc}


def signal_table(emb: Embedder, articles: Sequence[IndexedArticle], cases: Sequence[EvalCase]) -> SignalTable:
    """Every signal of every case against every article (the index's own code computes them)."""
    p = emb.prefixes
    vectors = encode_all(emb, SearchIndex.texts_of(articles, p) + [p.query + c.question for c in cases])
    index = SearchIndex.build(list(articles), vectors, emb.dim, Fusion(), p)
    raw = Fusion(lexical_scale=1.0)
    n, m = len(cases), len(articles)
    out = {k: np.zeros((n, m), dtype=np.float32) for k in ("dense", "passage", "bm25", "chars", "head")}
    for i, c in enumerate(cases):
        qvec = vectors[text_hash(p.query + c.question)]
        _, per, _ = index.signals(c.question, index.matrix @ qvec, raw, head=index.head.scores(qvec))
        for key in ("dense", "passage", "chars", "head"):
            out[key][i] = per[key]
        lex = np.minimum(per["lexical"], 0.999999)
        out["bm25"][i] = lex / (1 - lex)  # undo the squashing: raw BM25
    return SignalTable(
        [a.slug for a in articles],
        [c.expected for c in cases],
        [c.question for c in cases],
        **out,
        groups=[a.group or a.slug for a in articles],
    )
