"""Dev/validation lab for issue 11's third pass: an out-of-scope feature from the distance to an article's
centroid (the identity-covariance end of Mahalanobis), the centroid as a fusion signal, and the real eval
path (index, calibration, decision) with and without them.

    .venv/bin/python bench/tune_quality.py demo|banking77|clinc150 [--centroid 0 0.25 0.5] [--no-feature]
    .venv/bin/python bench/tune_quality.py demo --texts /tmp/quality-texts.txt    # what the eval embeds
    .venv/bin/python bench/int8_latency.py /tmp/quality-texts.txt                 # their int8 vectors
    .venv/bin/python bench/tune_quality.py demo --model e5q8                      # the eval with them
    .venv/bin/python bench/tune_quality.py clinc150 --mahalanobis     # raw AUROC, shared covariance

Only dev/validation rows are read (bench/tune_ensemble.py's `load`). Vectors are cached under
/tmp/quality-lab (per model, by text); e5 runs on one thread.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import tune_ensemble as te

from config import ModelSettings, load_settings
from knowledge import calibration, decision
from knowledge.evaluation import run_eval
from knowledge.index import SearchIndex

te.CACHE = Path("/tmp/quality-lab")
te.MODELS["e5q8"] = te.MODELS["e5q8ffn"] = "e5-small"  # vectors written by bench/int8_latency.py
te.ModelSettings = lambda **kw: ModelSettings(**{**kw, "threads": 1})  # type: ignore[assignment,misc]
KEYS = ("top1_accuracy", "auroc", "in_scope_accuracy_at_80_recall", "answer_rate", "answered_accuracy")
KEYS += ("in_scope_accuracy", "handoff_recall")


def without_centroid_feature() -> None:
    """The calibration as shipped before: score, dense, passage."""
    calibration.FEATURES = ("score", "dense", "passage")

    def three(score: float, dense: float, passage: float, centroid: float) -> np.ndarray:
        return np.array([score, dense, passage], dtype=np.float64)

    calibration.features = three  # type: ignore[assignment]
    decision.features = three  # type: ignore[assignment]


def mahalanobis(dataset: str) -> None:
    """Raw AUROC (in vs out of scope) of the distance to the nearest article under one shared covariance,
    shrunk towards the identity by α (1.0: plain Euclidean distance to the centroid), alone and added to
    the fused score (both standardised); and the distance to the top article's centroid."""
    from knowledge.evaluation import auroc
    from knowledge.scored import Fusion
    from knowledge.text import text_hash

    arts, cases, _ = te.load(dataset)
    p = te._prefixes("e5")
    qt = [p.query + c.question for c in cases]
    vecs = te._encode("e5", SearchIndex.texts_of(arts, p) + qt)
    index = SearchIndex.build(list(arts), {text_hash(t): v for t, v in vecs.items()}, 384, Fusion(), p)
    q = np.stack([vecs[t] for t in qt]).astype(np.float64)
    fused = te.fused(te.signals("e5", arts, cases), {"passage": 1.0, "chars": 0.05, "head": 0.2})
    ins = np.array([c.expected is not None for c in cases])
    top, best = fused.argmax(axis=1), fused.max(axis=1)

    def auc(v: np.ndarray) -> float:
        return float(auroc(v[ins].tolist(), v[~ins].tolist()) or float("nan"))

    def z(v: np.ndarray) -> np.ndarray:
        return (v - v.mean()) / v.std()

    x, lab = index.matrix.astype(np.float64), index.unit_article
    means = np.stack([x[lab == c].mean(axis=0) for c in range(len(arts))])
    resid = x - means[lab]
    cov = resid.T @ resid / max(len(x) - len(arts), 1)
    d = cov.shape[0]
    print(f"{dataset}: fused score AUROC {auc(best):.4f}")
    for alpha in (0.01, 0.1, 0.3, 0.6, 0.9, 0.99, 1.0):
        prec = np.linalg.inv((1 - alpha) * cov + alpha * np.trace(cov) / d * np.eye(d))
        pm = means @ prec
        dist = (
            np.einsum("ij,jk,ik->i", q, prec, q)[:, None] - 2 * q @ pm.T + np.einsum("ij,ij->i", pm, means)
        )
        nearest, at_top = dist.min(axis=1), dist[np.arange(len(q)), top]
        both = " ".join(f"{w}: {auc(z(best) - w * z(nearest)):.4f}" for w in (0.5, 1.0))
        print(
            f"  α {alpha:<5} nearest {auc(-nearest):.4f}  top article's {auc(-at_top):.4f}"
            f"  fused − w·nearest {both}",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", choices=["demo", "banking77", "clinc150"])
    ap.add_argument("--centroid", type=float, nargs="*", default=[0.0])
    ap.add_argument("--head", type=float, default=0.2)
    ap.add_argument("--no-feature", action="store_true", help="calibration without the centroid feature")
    ap.add_argument("--model", default="e5", choices=["e5", "e5q8", "e5q8ffn"])
    ap.add_argument("--texts", type=Path, help="write the texts the eval embeds to this file, and stop")
    ap.add_argument("--mahalanobis", action="store_true", help="screen Mahalanobis distances (raw AUROC)")
    args = ap.parse_args()
    if args.mahalanobis:
        mahalanobis(args.dataset)
        return
    if args.no_feature:
        without_centroid_feature()
    arts, cases, _ = te.load(args.dataset)
    if args.texts:
        p = te._prefixes("e5")
        texts = SearchIndex.texts_of(arts, p) + [p.query + c.question for c in cases]
        texts += [p.query + q for q in calibration.out_of_scope_questions()]
        args.texts.write_text("\n".join(dict.fromkeys(texts)) + "\n", encoding="utf-8")
        return
    base = load_settings(environ={}).search
    print(f"{args.dataset}: {len(cases)} dev questions; feature={'off' if args.no_feature else 'on'}")
    print("centroid_weight " + " ".join(KEYS))
    for w in args.centroid:
        store: Any = te._LabStore(args.model)
        update = {"centroid_weight": w, "head_weight": args.head}
        report, _ = asyncio.run(run_eval(arts, cases, store, base.model_copy(update=update)))
        cells = " ".join("-" if report[k] is None else f"{report[k]:.4f}" for k in KEYS)  # type: ignore[str-format]
        print(f"  {w:<6} {cells}", flush=True)


if __name__ == "__main__":
    main()
