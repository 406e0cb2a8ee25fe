"""Dev/validation lab for the answer-quality choices of issue 11: fusion weights, the classifier head's
ridge, and whether the English MiniLM fused with e5 helps (for English questions, or always).

    .venv/bin/python bench/tune_ensemble.py demo       # demo KB, dev half
    .venv/bin/python bench/tune_ensemble.py banking77  # 10-shot articles, asked 10 *other* training rows
    .venv/bin/python bench/tune_ensemble.py clinc150   # full training rows, asked the validation split
    .venv/bin/python bench/tune_ensemble.py demo --normalise   # sms-Swedish written out first (a loser)
    .venv/bin/python bench/tune_ensemble.py demo --eval        # the real eval path: calibration, decision

Only dev/validation rows are read: the demo test half, BANKING77 test.csv and CLINC150's test split never.
Vectors are cached under /tmp/kundresa-lab (per model, by text) so that repeated runs cost seconds.
Signals are computed by the index's own code (`SearchIndex.signals`), once per model; the grid is numpy.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from config import ModelSettings
from knowledge import head as head_module
from knowledge.evaluation import SEED, EvalCase, _articles, auroc
from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import Fusion
from knowledge.text import detect_lang, guess_lang, text_hash

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
CACHE = Path("/tmp/kundresa-lab")
MODELS = {"e5": "e5-small", "minilm": "bundled"}


def _encode(model: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Vectors by text, cached on disk per model."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"{model}.npz"
    have: dict[str, np.ndarray] = dict(np.load(path)) if path.exists() else {}
    key = {t: hashlib.sha1(t.encode()).hexdigest() for t in texts}
    todo = [t for t in dict.fromkeys(texts) if key[t] not in have]
    if todo:
        from knowledge.embedder import Embedder

        emb = Embedder(ModelSettings(name=MODELS[model], worker="thread", threads=0, tuned="off"))
        emb.load_sync()
        print(f"encoding {len(todo)} texts with {model}", file=sys.stderr)
        for i in range(0, len(todo), 512):
            chunk = todo[i : i + 512]
            for t, v in zip(chunk, emb.encode_sync(chunk), strict=True):
                have[key[t]] = v
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, **have)
        os.replace(tmp, path)  # atomic: a lab run reading the cache meanwhile never sees half a file
    return {t: have[key[t]] for t in texts}


def _prefixes(model: str):  # type: ignore[no-untyped-def]
    from knowledge.embedder import model_prefixes, resolve_model

    return model_prefixes(resolve_model(MODELS[model])[0])


def signals(
    model: str, articles: Sequence[IndexedArticle], cases: Sequence[EvalCase]
) -> dict[str, np.ndarray]:
    """Per (question, article): dense, passage, bm25 (raw), chars, head."""
    p = _prefixes(model)
    unit_texts = SearchIndex.texts_of(articles, p)
    qtexts = [p.query + c.question for c in cases]
    vecs = _encode(model, unit_texts + qtexts)
    dim = next(iter(vecs.values())).shape[0]
    index = SearchIndex.build(list(articles), {text_hash(t): v for t, v in vecs.items()}, dim, Fusion(), p)
    raw = Fusion(lexical_scale=1.0)
    n, m = len(cases), len(articles)
    out = {k: np.zeros((n, m), dtype=np.float32) for k in ("dense", "passage", "bm25", "chars", "head")}
    for i, (c, qt) in enumerate(zip(cases, qtexts, strict=True)):
        q = vecs[qt]
        _, per, _ = index.signals(c.question, index.matrix @ q, raw, head=index.head.scores(q))
        for k in ("dense", "passage", "chars", "head"):
            out[k][i] = per[k]
        lex = np.minimum(per["lexical"], 0.999999)
        out["bm25"][i] = lex / (1 - lex)
    return out


def metrics(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """(top-1 over in-scope rows, AUROC of the top score in vs out of scope); gold -1 = out of scope."""
    top = scores.argmax(axis=1)
    best = scores.max(axis=1)
    ins = gold >= 0
    top1 = float((top[ins] == gold[ins]).mean())
    auc = auroc(best[ins].tolist(), best[~ins].tolist()) if (~ins).any() else float("nan")
    return top1, float(auc if auc is not None else float("nan"))


def fused(s: dict[str, np.ndarray], w: dict[str, float]) -> np.ndarray:
    return (
        s["dense"]
        + w.get("passage", 1.0) * s["passage"]
        + w.get("lexical", 0.0) * s["bm25"] / (s["bm25"] + 3.0)
        + w.get("chars", 0.05) * s["chars"]
        + w.get("head", 0.2) * s["head"]
    )


def load(dataset: str) -> tuple[list[IndexedArticle], list[EvalCase], list[str]]:
    """Articles, dev cases, and each article's group (a version of the expected article is a hit)."""
    if dataset == "demo":
        from tune_fusion import demo_articles, demo_cases

        arts = demo_articles()
        return arts, demo_cases("dev"), [a.group or a.slug for a in arts]
    if dataset == "banking77":
        import csv

        with (SHARED / "banking77" / "train.csv").open(encoding="utf-8", newline="") as fh:
            rows = [(r["text"], r["category"]) for r in csv.DictReader(fh)]
        arts = _articles(rows, 10)
        used = {q for a in arts for q in a.questions}
        by: dict[str, list[str]] = defaultdict(list)
        for t, c in rows:
            if t not in used:
                by[c].append(t)
        rng = random.Random(SEED + 1)
        cases = [EvalCase(t, c) for c in sorted(by) for t in rng.sample(by[c], min(10, len(by[c])))]
        return arts, cases, [a.slug for a in arts]
    data = json.loads((SHARED / "clinc150" / "data_full.json").read_text(encoding="utf-8"))
    arts = _articles([(t, i) for t, i in data["train"]], None)
    rng = random.Random(SEED)
    val = rng.sample(data["val"], 1000)
    cases = [EvalCase(t, i) for t, i in val] + [EvalCase(t, None) for t, _ in data["oos_val"]]
    return arts, cases, [a.slug for a in arts]


# Swedish as customers type it: sms abbreviations and spoken forms, each mapped to the written word
# (general usage, not words picked from any eval set). Only unambiguous forms: "far" (father), "ar"
# (year/hectare) and "dar" (där/dagar) are left alone.
_TYPED_SV = {
    "e": "är",
    "o": "och",
    "pa": "på",
    "nar": "när",
    "gar": "går",
    "fa": "få",
    "manga": "många",
    "hander": "händer",
    "nån": "någon",
    "nåt": "något",
    "nåra": "några",
    "nan": "någon",
    "nat": "något",
    "ngn": "någon",
    "ngt": "något",
    "ngra": "några",
    "mkt": "mycket",
    "tbx": "tillbaka",
    "tbka": "tillbaka",
    "dom": "de",
    "ba": "bara",
    "iaf": "i alla fall",
    "asap": "så snart som möjligt",
    "funkar": "fungerar",
    "funka": "fungera",
    "funkade": "fungerade",
    "funkat": "fungerat",
}
_TYPED_EN = {"pls": "please", "plz": "please", "thx": "thanks", "u": "you", "ur": "your", "r": "are"}
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)


def normalise_typing(text: str) -> str:
    """A question with sms-style Swedish (and a few English) abbreviations written out, for the model
    and the lexical signals: "funkar inte" → "fungerar inte", "e det" → "är det", "tbx" → "tillbaka".
    English forms apply only when the question is not Swedish, Swedish ones only when it is not English."""
    lang = guess_lang(text)
    table = {**(_TYPED_SV if lang != "en" else {}), **(_TYPED_EN if lang != "sv" else {})}

    def swap(m: re.Match[str]) -> str:
        word = m.group(0)
        return table.get(word.lower(), word)

    return _TOKEN.sub(swap, text)


class _LabEmbedder:
    """The cached vectors behind the interface `run_eval` uses."""

    def __init__(self, model: str) -> None:
        self.model, self.prefixes, self.dim = model, _prefixes(model), 384

    async def encode(self, texts: Sequence[str]) -> np.ndarray:
        v = _encode(self.model, list(texts))
        return np.stack([v[t] for t in texts])


class _LabStore:
    def __init__(self, model: str) -> None:
        self.embedder = _LabEmbedder(model)

    async def vectors_for(self, texts: Sequence[str], tick: object = None) -> dict[str, np.ndarray]:
        v = _encode(self.embedder.model, list(texts))
        return {text_hash(t): v[t] for t in texts}


def eval_path(arts: list[IndexedArticle], cases: list[EvalCase]) -> None:
    """Shipped settings through `run_eval` (index, calibration, decision): the MiniLM weight for English
    questions, and the answer/clarify confidences."""
    import asyncio

    from config import load_settings
    from knowledge.evaluation import run_eval

    keys = ("top1_accuracy", "auroc", "answer_rate", "answered_accuracy", "in_scope_accuracy")
    keys += ("handoff_recall", "in_scope_accuracy_at_80_recall")
    print("method " + " ".join(keys))
    base = load_settings(environ={}).search
    runs: list[tuple[str, dict[str, object], bool]] = [("e5", {}, False)]
    runs += [(f"e5 + MiniLM for English {w}", {"english_weight": w}, True) for w in (0.2, 0.3, 0.5)]
    runs += [
        (f"e5, answer {a} clarify {c}", {"answer_confidence": a, "clarify_confidence": c}, False)
        for a, c in ((0.5, 0.3), (0.6, 0.35), (0.8, 0.5))
    ]
    runs += [("e5, uncalibrated", {"calibrate": False}, False)]
    for name, update, second in runs:
        store: Any = _LabStore("e5")
        two: Any = _LabStore("minilm") if second else None
        report, _ = asyncio.run(run_eval(arts, cases, store, base.model_copy(update=update), second=two))
        cells = " ".join("-" if report[k] is None else f"{report[k]:.4f}" for k in keys)  # type: ignore[str-format]
        print(f"  {name:32s} {cells}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dataset", choices=["demo", "banking77", "clinc150"])
    ap.add_argument("--ridge", type=float, nargs="*", default=[0.1])
    ap.add_argument("--grid", action="store_true", help="the e5 weight grid")
    ap.add_argument("--normalise", action="store_true", help="questions through normalise_typing first")
    ap.add_argument("--eval", action="store_true", help="the real eval path (see eval_path)")
    args = ap.parse_args()
    arts, cases, groups = load(args.dataset)
    if args.normalise:
        cases = [EvalCase(normalise_typing(c.question), c.expected) for c in cases]
    if args.eval:
        eval_path(arts, cases)
        return
    gid = {g: i for i, g in enumerate(dict.fromkeys(groups))}
    art_group = np.array([gid[g] for g in groups])
    slug_i = {a.slug: i for i, a in enumerate(arts)}
    gold = np.array([art_group[slug_i[c.expected]] if c.expected else -1 for c in cases])
    english = np.array([detect_lang(c.question) == "en" for c in cases])

    def score(s: np.ndarray, rows: np.ndarray | None = None) -> tuple[float, float]:
        # versions of one article are one candidate: take each group's best
        g = np.full((len(s), len(gid)), -np.inf)
        for j, k in enumerate(art_group):
            g[:, k] = np.maximum(g[:, k], s[:, j])
        return metrics(g, gold if rows is None else gold[rows])

    print(
        f"{args.dataset}: {len(cases)} dev questions ({int((gold < 0).sum())} out of scope, "
        f"{int(english.sum())} detected English)"
    )
    for ridge in args.ridge:
        head_module.RIDGE = ridge
        e5 = signals("e5", arts, cases)
        mini = signals("minilm", arts, cases)
        base = {"passage": 1.0, "chars": 0.05, "head": 0.2}
        cand = {"passage": 1.5, "chars": 0.1, "head": 0.1}
        rows = [
            ("e5 shipped (p1 c.05 h.2)", fused(e5, base)),
            ("e5 dev-preferred (p1.5 c.1 h.1)", fused(e5, cand)),
            ("minilm shipped weights", fused(mini, base)),
        ]
        for a in (0.3, 0.5, 0.7, 1.0):
            both = fused(e5, base) + a * (mini["dense"] + mini["passage"] + 0.2 * mini["head"])
            rows.append((f"e5 + {a} minilm (dense+passage+head), all", both))
            lang = np.where(english[:, None], both, fused(e5, base) * (1 + a))
            rows.append((f"e5 + {a} minilm, English only", lang))
            both_c = fused(e5, cand) + a * (mini["dense"] + 1.5 * mini["passage"] + 0.1 * mini["head"])
            rows.append((f"e5 + {a} minilm, cand weights, all", both_c))
        for hw in (0.2, 0.5, 1.0):
            rows.append((f"e5 shipped + minilm head {hw}", fused(e5, base) + hw * mini["head"]))
        print(f"\nridge {ridge}")
        for name, s in rows:
            t, auc = score(s)
            te, _ = (
                score(s[english], english)
                if english.any() and (gold[english] >= 0).any()
                else (float("nan"), 0)
            )
            print(f"  {name:45s} top-1 {t:.4f}  auroc {auc:.4f}  (English rows top-1 {te:.4f})")
        if args.grid:
            res = []
            for p, c, h, lx in itertools.product(
                [0.5, 1.0, 1.5, 2.0], [0, 0.05, 0.1, 0.2], [0, 0.1, 0.2, 0.4], [0, 0.05]
            ):
                t, auc = score(fused(e5, {"passage": p, "chars": c, "head": h, "lexical": lx}))
                res.append((round(t, 4), round(auc, 4), p, c, h, lx))
            res.sort(reverse=True)
            for r in res[:12]:
                print("  grid top-1 {} auroc {} passage {} chars {} head {} lexical {}".format(*r))


if __name__ == "__main__":
    main()
