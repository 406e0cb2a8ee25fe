"""Choose the `kundresa kb tune` recipe and epochs on held-out TRAIN/dev rows (never test rows).

    .venv/bin/python bench/tune_recipes.py banking77 --model e5-small --recipes mnrl,batch-hard --epochs 3

Data sets: banking77 (articles from 10 shots per intent of train.csv, asked: 15 other train rows per
intent), clinc150 (articles from train; asked: val + oos_val), demo (knowledge/demo; asked: the "dev" rows
of bench/data/demo_questions.jsonl). Each recipe trains once for --epochs and is evaluated (the full
search + decision, float32) after every epoch; the base model is evaluated first. One JSON line each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import SearchSettings, load_settings  # noqa: E402
from knowledge import evaluation as ev  # noqa: E402
from knowledge.decision import decide  # noqa: E402
from knowledge.embedder import model_prefixes, resolve_model  # noqa: E402
from knowledge.formats import read_articles  # noqa: E402
from knowledge.index import SearchIndex  # noqa: E402
from knowledge.index_blocks import IndexedArticle  # noqa: E402
from knowledge.model_worker import encode_padded  # noqa: E402
from knowledge.text import detect_lang, text_hash  # noqa: E402
from knowledge.tuning import TuneOptions, tune  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def banking77_holdout(
    shots: int = 10, per_intent: int = 15
) -> tuple[list[IndexedArticle], list[ev.EvalCase]]:
    evset = ev.load_banking77(DATA, shots, split="none")
    import csv

    with (DATA / "banking77" / "train.csv").open(encoding="utf-8", newline="") as fh:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(fh)]
    used = {q for a in evset.articles for q in a.questions}
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in rows:
        if text not in used:
            by_intent[intent].append(text)
    rng = random.Random(7)
    cases = [
        ev.EvalCase(t, intent)
        for intent in sorted(by_intent)
        for t in rng.sample(by_intent[intent], min(per_intent, len(by_intent[intent])))
    ]
    return evset.articles, cases


def clinc150_val(shots: int | None) -> tuple[list[IndexedArticle], list[ev.EvalCase]]:
    evset = ev.load_clinc150(DATA, shots, split="val")
    return evset.articles, evset.cases


def demo_dev() -> tuple[list[IndexedArticle], list[ev.EvalCase]]:
    articles = [IndexedArticle.of(a) for a in read_articles(ROOT / "knowledge" / "demo")]
    cases = []
    for line in (ROOT / "bench" / "data" / "demo_questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("split") == "dev":
            cases.append(ev.EvalCase(row["question"], row["expected"]))
    return articles, cases


def evaluate(
    model: Any, path: str, articles: list[IndexedArticle], cases: list[ev.EvalCase], search: SearchSettings
) -> dict[str, Any]:
    from knowledge.scored import Fusion

    started = time.perf_counter()
    prefixes = model_prefixes(path)
    texts = list(dict.fromkeys(SearchIndex.texts_of(articles, prefixes)))
    vecs = encode_padded(model, texts, 64, 256)
    vectors = {text_hash(t): v for t, v in zip(texts, vecs, strict=True)}
    index = SearchIndex.build(articles, vectors, vecs.shape[1], Fusion.of(search), prefixes)
    qvecs = encode_padded(model, [prefixes.query + c.question for c in cases], 64, 256)
    results = []
    for case, vec in zip(cases, qvecs, strict=True):
        tuned = search.for_lang(detect_lang(case.question))
        ranked = index.score(vec, case.question, limit=search.max_results, fusion=Fusion.of(tuned))
        results.append(decide(case.question, ranked, tuned))
    m = ev.metrics(cases, results, time.perf_counter() - started)
    keys = ("top1_accuracy", "in_scope_accuracy", "answer_rate", "answered_accuracy", "auroc")
    return {k: (round(float(m[k]), 4) if isinstance(m[k], float) else m[k]) for k in keys}  # type: ignore[arg-type]


def main() -> None:
    import torch
    from sentence_transformers import SentenceTransformer

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("dataset", choices=["banking77", "clinc150", "demo"])
    parser.add_argument("--model", default="e5-small")
    parser.add_argument("--recipes", default="mnrl,batch-hard,batch-all")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-per-article", type=int, default=32)
    parser.add_argument("--shots", type=int, default=None, help="clinc150: example questions per intent")
    parser.add_argument("--no-base", action="store_true", help="skip the base model's figures")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: one per core)")
    args = parser.parse_args()

    settings = load_settings(environ={}, model={"name": args.model})
    path, model_id = resolve_model(args.model, settings.model.cache_path())
    if args.dataset == "banking77":
        articles, cases = banking77_holdout()
    elif args.dataset == "clinc150":
        articles, cases = clinc150_val(args.shots)
    else:
        articles, cases = demo_dev()
    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    common = {"dataset": args.dataset, "model": model_id, "cases": len(cases), "articles": len(articles)}
    if not args.no_base:
        base = SentenceTransformer(path, device="cpu")
        print(
            json.dumps({**common, "recipe": "base", **evaluate(base, path, articles, cases, settings.search)})
        )
        del base
    for recipe in args.recipes.split(","):
        options = TuneOptions(
            epochs=args.epochs,
            recipe=recipe,
            learning_rate=args.lr,
            scale=args.scale,
            batch_size=args.batch_size,
            max_per_article=args.max_per_article,
            threads=args.threads,
        )
        clock = {"train": 0.0, "t0": time.perf_counter()}

        def on_epoch(model: Any, epoch: int, recipe: str = recipe, clock: dict[str, float] = clock) -> None:
            clock["train"] += time.perf_counter() - clock["t0"]
            row = evaluate(model, path, articles, cases, settings.search)
            extra = {"lr": args.lr, "scale": args.scale, "batch": args.batch_size}
            print(
                json.dumps(
                    {
                        **common,
                        "recipe": recipe,
                        "epoch": epoch,
                        **extra,
                        "train_seconds": round(clock["train"], 1),
                        **row,
                    }
                ),
                flush=True,
            )
            clock["t0"] = time.perf_counter()

        with tempfile.TemporaryDirectory() as tmp:
            tune(path, articles, Path(tmp) / "m", options, on_epoch=on_epoch)


if __name__ == "__main__":
    main()
