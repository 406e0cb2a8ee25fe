"""Issue 11, third pass (a loser, kept for the record): the ridge classifier head fitted also on noised
copies of each title and example question (å/ä/ö folded, adjacent letters swapped, letters dropped;
seeded); the rest of the fusion as shipped. Dev rows only (bench/tune_ensemble.py's `load`).

    .venv/bin/python bench/tune_noise.py demo banking77
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import tune_quality  # noqa: F401  (the cache under /tmp/quality-lab, one model thread)
from tune_ensemble import _encode, _prefixes, fused, load, metrics, signals

from knowledge.head import HeadStats, RidgeHead, block_stats
from knowledge.index import SearchIndex

FOLD = str.maketrans("åäöÅÄÖéÉ", "aaoAAOeE")
SEED = 20261202
VARIANTS = {
    "fold": [("fold",)],
    "typo": [("typo",)],
    "fold+typo": [("fold", "typo")],
    "fold, typo": [("fold",), ("typo",)],
    "fold, typo, fold+typo": [("fold",), ("typo",), ("fold", "typo")],
    "2x fold+typo": [("fold", "typo"), ("fold", "typo")],
}


def noisy(text: str, rng: random.Random, ops: tuple[str, ...]) -> str:
    """`text` folded and/or with a typo per ~15 letters (an adjacent swap or a dropped letter)."""
    t = text.translate(FOLD) if "fold" in ops else text
    letters = [i for i, ch in enumerate(t) if ch.isalpha()]
    if "typo" in ops and len(letters) > 3:
        for _ in range(max(1, len(letters) // 15)):
            i = rng.choice(letters[:-1])
            if rng.random() < 0.5 and i + 1 < len(t) and t[i + 1].isalpha():
                t = t[:i] + t[i + 1] + t[i] + t[i + 2 :]
            else:
                t = t[:i] + t[i + 1 :]
            letters = [j for j, ch in enumerate(t) if ch.isalpha()]
    return t


def run(dataset: str) -> None:
    arts, cases, groups = load(dataset)
    p = _prefixes("e5")
    s = signals("e5", arts, cases)
    gid = {g: i for i, g in enumerate(dict.fromkeys(groups))}
    art_group = np.array([gid[g] for g in groups])
    slug_i = {a.slug: i for i, a in enumerate(arts)}
    gold = np.array([art_group[slug_i[c.expected]] if c.expected else -1 for c in cases])

    def score(sc: np.ndarray) -> tuple[float, float]:
        g = np.full((len(sc), len(gid)), -np.inf)
        for j, k in enumerate(art_group):
            g[:, k] = np.maximum(g[:, k], sc[:, j])
        return metrics(g, gold)

    qt = [p.query + c.question for c in cases]
    qv = _encode("e5", qt)
    questions = np.stack([qv[t] for t in qt])
    uv = _encode("e5", SearchIndex.texts_of(arts, p))
    base = {"passage": 1.0, "chars": 0.05, "head": 0.2}
    print(dataset, "shipped: top-1 {:.4f} AUROC {:.4f}".format(*score(fused(s, base))))
    for name, ops_list in VARIANTS.items():
        rng = random.Random(SEED)
        extra = []  # (article, noised text)
        for a_i, a in enumerate(arts):
            for q in (a.title, *a.questions):
                for ops in ops_list:
                    n = noisy(q, rng, ops)
                    if n != q:
                        extra.append((a_i, p.query + n))
        ev = _encode("e5", [t for _, t in extra])
        blocks = []
        for a_i, a in enumerate(arts):
            mine = [uv[t] for t in SearchIndex.texts_of([a], p)] + [ev[t] for j, t in extra if j == a_i]
            blocks.append(block_stats(np.stack(mine).astype(np.float32)))
        head = RidgeHead.fit(HeadStats.of(blocks, questions.shape[1]), blocks)
        noised = {**s, "head": np.stack([head.scores(q) for q in questions])}
        cells = [
            "head {:.1f}: {:.4f} / {:.4f}".format(hw, *score(fused(noised, {**base, "head": hw})))
            for hw in (0.1, 0.2, 0.3)
        ]
        print(f"  {name:24s} +{len(extra)} texts  " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    for dataset in sys.argv[1:]:
        run(dataset)
