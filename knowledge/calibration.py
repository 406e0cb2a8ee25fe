"""Confidence on a 0–1 scale, calibrated per knowledge base: how likely the top article is the right one.

Raw fused scores mean different things in different knowledge bases (a base whose articles have many
similar example questions scores everything higher). So each knowledge base fits its own mapping, a
logistic regression from a few features of the top article (its fused score, the two cosines behind it
and the question's closeness to the centroid of the article's texts) to "the top article is right", on:

- leave-one-out over its own example questions: each is asked with itself taken out of the index
  (in scope; right when the top article is its own), and
- a shipped list of Swedish and English out-of-scope questions (`knowledge/data/out_of_scope.txt`, not
  test data): never right.

Fitting takes a fraction of a second; it runs off the event loop whenever the index changes.

Why these: the centroid (the identity-covariance end of a Mahalanobis distance; a shared covariance with
any shrinkage short of the identity ranked worse) raised the AUROC on CLINC150's validation split from
0.973 to 0.981 and on the demo dev half from 0.952 to 0.956 (bench/tune_quality.py). The margin over the
runner-up and the lexical/character signals separate the knowledge base's own example questions from the
shipped out-of-scope list well, but not customers' questions from near misses — on dev rows, dropping
them raised the confidence's AUROC on CLINC150's validation split from 0.959 to 0.973 (the raw score's
own: 0.973) and out-of-scope handoffs on the demo dev half from 92.7 to 96.4 % (BENCHMARKS.md).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from knowledge.index import SearchIndex
from knowledge.scored import Fusion

__all__ = [
    "FEATURES",
    "Calibration",
    "calibrate",
    "calibration_rows",
    "features",
    "fit",
    "out_of_scope_questions",
]

log = logging.getLogger(__name__)

FEATURES = ("score", "dense", "passage", "centroid")
MAX_LOO = 2000  # example questions asked leave-one-out at most (a sample of larger bases)
SEED = 20261201


def out_of_scope_questions() -> list[str]:
    text = resources.files("knowledge").joinpath("data/out_of_scope.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def features(score: float, dense: float, passage: float, centroid: float) -> np.ndarray:
    """Of the best article: its fused score, best question cosine, best passage cosine and closeness to
    the centroid of its texts."""
    return np.array([score, dense, passage, centroid], dtype=np.float64)


@dataclass(frozen=True)
class Calibration:
    """P(top article is right) = sigmoid(weights · standardised features + bias)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    n_in_scope: int = 0
    n_out_of_scope: int = 0

    def confidence(self, x: np.ndarray) -> float:
        z = float(((x - self.mean) / self.scale) @ self.weights + self.bias)
        return float(1.0 / (1.0 + np.exp(-z)))

    def to_json(self) -> dict[str, object]:
        return {
            "features": list(FEATURES),
            "weights": [round(float(w), 4) for w in self.weights],
            "bias": round(self.bias, 4),
            "n_in_scope": self.n_in_scope,
            "n_out_of_scope": self.n_out_of_scope,
        }


def fit(x: np.ndarray, right: np.ndarray, n_in: int, n_out: int) -> Calibration | None:
    """Fit on feature rows `x` with labels `right`; None when there is too little of either kind."""
    from sklearn.linear_model import LogisticRegression

    if len(x) < 10 or right.sum() < 3 or (~right).sum() < 3:
        return None
    mean = x.mean(axis=0)
    scale = np.where(x.std(axis=0) > 1e-6, x.std(axis=0), 1.0)
    model = LogisticRegression(C=1.0, max_iter=1000, class_weight=None)
    model.fit((x - mean) / scale, right.astype(int))
    return Calibration(mean, scale, model.coef_[0].copy(), float(model.intercept_[0]), n_in, n_out)


def _row(
    index: SearchIndex,
    text: str,
    dense: np.ndarray,
    fusion: Fusion,
    exclude: np.ndarray | None,
    head: np.ndarray,
) -> tuple[int, np.ndarray]:
    score, per, _ = index.signals(text, dense, fusion, exclude, head)
    allowed = index.published_mask()
    score = index.best_of_groups(np.where(allowed, score, -np.inf))
    a = int(np.argmax(score))
    return a, features(
        float(score[a]), float(per["dense"][a]), float(per["passage"][a]), float(per["centroid"][a])
    )


def calibration_rows(
    index: SearchIndex,
    fusion_for: Callable[[str], Fusion],
    out_of_scope: Sequence[tuple[str, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Feature rows and labels: leave-one-out example questions (right when their own article comes
    first) and out-of-scope questions (`(text, vector)`; never right)."""
    published = index.published_mask()
    candidates = [
        j
        for j, u in enumerate(index.units)
        if u.kind == "question" and published[u.article] and published.sum() > 1
    ]
    if len(candidates) > MAX_LOO:
        candidates = sorted(random.Random(SEED).sample(candidates, MAX_LOO))
    texts = np.array([u.text for u in index.units], dtype=object)
    group = [a.group or a.slug for a in index.articles]
    rows: list[np.ndarray] = []
    right: list[bool] = []
    if candidates:
        dense_all = index.matrix @ index.matrix[candidates].T
        # The classifier's output as if each question had not been in its fit (no refitting needed).
        head_all = index.head.leave_one_out(index.matrix[candidates], index.unit_article[candidates])
        for col, j in enumerate(candidates):
            unit = index.units[j]
            exclude = texts == unit.text  # itself, and any copy of it in another article
            if exclude.sum() > 1:
                continue  # the same text under two articles: no right answer to learn from
            a, x = _row(index, unit.text, dense_all[:, col], fusion_for(unit.text), exclude, head_all[col])
            rows.append(x)
            right.append(group[a] == group[unit.article])
    n_in = len(rows)
    for text, vec in out_of_scope:
        _, x = _row(index, text, index.matrix @ vec, fusion_for(text), None, index.head.scores(vec))
        rows.append(x)
        right.append(False)
    x_all = np.array(rows) if rows else np.zeros((0, len(FEATURES)))
    return x_all, np.array(right, dtype=bool), n_in, len(rows) - n_in


def calibrate(
    index: SearchIndex,
    fusion_for: Callable[[str], Fusion],
    out_of_scope: Sequence[tuple[str, np.ndarray]],
) -> Calibration | None:
    """Fit this index's calibration (blocking: run it on a worker thread); None for fewer than two
    published articles (nothing to tell apart)."""
    if int(index.published_mask().sum()) < 2:
        return None
    x, right, n_in, n_out = calibration_rows(index, fusion_for, out_of_scope)
    return fit(x, right, n_in, n_out)
