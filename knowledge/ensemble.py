"""A second model's opinion for English questions: multilingual-e5 fused with the English MiniLM.

No single model wins both languages here: e5 reads Swedish far better, the English MiniLM ranks English
intents better (BANKING77 10-shot, dev rows: 81.2 % e5 alone, 85.5 % with MiniLM added). So when a
question is English (`guess_lang`, not merely undecided), the second model's fused semantic score of each
article (best example-question cosine + best passage cosine + its own classifier head, no lexical
signals: those are the first model's already) is added with `search.english_weight`. Swedish questions
never see it (on Swedish it only hurt: BENCHMARKS.md).

The second score is shifted so that its best article gets 0: the ranking is the same as adding it
outright, but the fused score of an article both models like stays on the first model's scale, which
the confidence calibration (fitted on the first model alone) understands; where the models disagree the
top score drops, and with it the confidence.
"""

from __future__ import annotations

import numpy as np

from knowledge.index import SearchIndex
from knowledge.scored import Fusion
from knowledge.text import guess_lang

__all__ = ["SECOND_FUSION", "aligned", "second_scores", "second_wanted", "wants_second"]

SECOND_FUSION = Fusion(
    lexical_weight=0.0,
    question_weight=1.0,
    passage_weight=1.0,
    char_weight=0.0,
    head_weight=0.2,
    centroid_weight=0.0,  # not measured with MiniLM
)


def wants_second(question: str) -> bool:
    """Whether the question is (recognisably) English."""
    return second_wanted(guess_lang(question))


def second_wanted(said: str | None) -> bool:
    """`wants_second` for a question whose language (`guess_lang`) was read already."""
    return said == "en"


def second_scores(index: SearchIndex, vec: np.ndarray, dense: np.ndarray | None = None) -> np.ndarray:
    """Per article of `index` (the second model's): its fused semantic score for the question `vec`."""
    if not index.units:
        return np.zeros(len(index.articles), dtype=np.float32)
    units = index.matrix @ vec if dense is None else dense
    none = np.zeros(len(index.units), dtype=np.float32)
    head = index.head.scores(vec) if SECOND_FUSION.head_weight else None
    score, _, _ = index.signals("", units, SECOND_FUSION, head=head, lexical=(none, none))
    return score


def aligned(main: SearchIndex, second: SearchIndex, scores: np.ndarray, weight: float) -> np.ndarray:
    """`weight` × the second index's per-article `scores` in `main`'s article order, shifted so that the
    best is 0 (an article the second index lacks, e.g. mid-update, gets the worst score)."""
    cache: dict[int, np.ndarray] = main.__dict__.setdefault("_aligned", {})
    key = id(second)
    if key not in cache:
        cache.clear()  # one second index at a time
        where = {a.slug: i for i, a in enumerate(second.articles)}
        cache[key] = np.array([where.get(a.slug, -1) for a in main.articles], dtype=np.int64)
    pos = cache[key]
    if not len(scores):
        return np.zeros(len(pos), dtype=np.float32)
    picked = np.where(pos >= 0, scores[np.maximum(pos, 0)], scores.min())
    return (weight * (picked - picked.max())).astype(np.float32)
