"""Tune the decision thresholds on training/validation rows only (never test rows).

English: CLINC150 train rows are the articles' example questions; the `val` and `oos_val` rows are
the questions. Swedish: the demo knowledge base, each Swedish example question asked leave-one-out
against the others, plus `bench/data/sv_out_of_scope_calibration.txt` as questions nobody answers.
Utility per question: right answer +1, right article among clarify options +0.5, wrong answer -1,
handoff of an answerable question 0; for an unanswerable one: handoff +1, clarify -0.25, answer -1.

    .venv/bin/python bench/tune_thresholds.py
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from tqdm import tqdm

from config import ModelSettings, SearchSettings, load_settings
from knowledge.decision import decide
from knowledge.embedder import Embedder
from knowledge.evaluation import auroc, load_clinc150
from knowledge.formats import read_articles
from knowledge.index import Fusion, IndexedArticle, ScoredArticle, SearchIndex
from knowledge.text import text_hash

ROOT = Path(__file__).resolve().parent.parent
Case = tuple[str | None, list[ScoredArticle]]


def vectors(embedder: Embedder, texts: list[str]) -> dict[str, np.ndarray]:
    unique = list(dict.fromkeys(texts))
    out: dict[str, np.ndarray] = {}
    for i in tqdm(range(0, len(unique), 512), desc="embedding", file=sys.stderr, leave=False):
        chunk = unique[i : i + 512]
        for t, v in zip(chunk, embedder.encode_sync(chunk), strict=True):
            out[text_hash(t)] = v
    return out


def utility(cases: list[Case], s: SearchSettings) -> float:
    total = 0.0
    for expected, ranked in cases:
        r = decide("", ranked, s)
        if expected is None:
            total += {"handoff": 1.0, "clarify": -0.25, "answer": -1.0}[r.decision]
        elif r.decision == "answer":
            total += 1.0 if ranked[0].slug == expected else -1.0
        elif r.decision == "clarify":
            total += 0.5 if expected in {o.slug for o in r.options} else -0.25
    return total / len(cases)


def grid(cases: list[Case], base: SearchSettings) -> SearchSettings:
    best, best_u = base, -9.0
    answers = np.arange(0.40, 1.30, 0.02)
    for a, gap, m in itertools.product(answers, (0.04, 0.08, 0.12, 0.2), (0.01, 0.02, 0.04)):
        s = base.model_copy(update={"answer_threshold": a, "clarify_threshold": a - gap, "clarify_margin": m})
        u = utility(cases, s)
        if u > best_u:
            best, best_u = s, u
    return best


def english(embedder: Embedder, base: SearchSettings) -> tuple[SearchSettings, dict[str, float]]:
    data = ROOT.parent / "shared" / "data"
    evset = load_clinc150(data, split="val")
    vec = vectors(embedder, SearchIndex.texts_of(evset.articles) + [c.question for c in evset.cases])
    index = SearchIndex.build(
        evset.articles, vec, embedder.dim, Fusion(base.lexical_weight, base.lexical_scale)
    )
    cases = [(c.expected, index.score(vec[text_hash(c.question)], c.question, limit=3)) for c in evset.cases]
    tuned = grid(cases, base)
    pos = [r[0].score for e, r in cases if e is not None]
    neg = [r[0].score for e, r in cases if e is None]
    return tuned, {"utility": utility(cases, tuned), "val_auroc": auroc(pos, neg) or 0.0}


def swedish(embedder: Embedder, base: SearchSettings) -> tuple[SearchSettings, dict[str, float]]:
    from knowledge.text import detect_lang

    sv = base.for_lang("sv")
    demo = read_articles(ROOT / "knowledge" / "demo")
    arts = [
        IndexedArticle(a.slug, a.title, a.lang, a.status, tuple(a.tags), a.body, tuple(a.questions))
        for a in demo
    ]
    oos = (
        (ROOT / "bench" / "data" / "sv_out_of_scope_calibration.txt").read_text(encoding="utf-8").split("\n")
    )
    oos = [q for q in oos if q.strip()]
    vec = vectors(embedder, SearchIndex.texts_of(arts) + oos)
    fusion = Fusion(sv.lexical_weight, sv.lexical_scale)
    cases: list[Case] = []
    for i, art in enumerate(arts):
        for q in art.questions:
            if detect_lang(q) != "sv":
                continue
            held_out = IndexedArticle(
                art.slug,
                art.title,
                art.lang,
                art.status,
                art.tags,
                art.body,
                tuple(x for x in art.questions if x != q),
            )
            index = SearchIndex.build([*arts[:i], held_out, *arts[i + 1 :]], vec, embedder.dim, fusion)
            cases.append((art.slug, index.score(vec[text_hash(q)], q, limit=3)))
    index = SearchIndex.build(arts, vec, embedder.dim, fusion)
    cases += [(None, index.score(vec[text_hash(q)], q, limit=3)) for q in oos]
    tuned = grid(cases, sv)
    return tuned, {"utility": utility(cases, tuned), "n": float(len(cases))}


def main() -> None:
    base = load_settings(environ={}).search
    embedder = Embedder(ModelSettings())
    en, en_stats = english(embedder, base)
    sv, sv_stats = swedish(embedder, base)
    report = {
        "en": {
            k: round(getattr(en, k), 3) for k in ("answer_threshold", "clarify_threshold", "clarify_margin")
        },
        "en_stats": en_stats,
        "sv": {
            k: round(getattr(sv, k), 3) for k in ("answer_threshold", "clarify_threshold", "clarify_margin")
        },
        "sv_stats": sv_stats,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
