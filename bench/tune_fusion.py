"""Choose the fusion weights and the answer/clarify confidence on DEV questions only.

    .venv/bin/python bench/tune_fusion.py [--model e5-small]

1. Every signal of every dev question of the demo knowledge base (bench/data/demo_questions.jsonl,
   split "dev") against every article, once (bench/signals.py).
2. A grid over the weights of the passage, BM25, character-n-gram and classifier signals (the best
   question cosine has weight 1): top-1 and AUROC (of the raw fused score) for each; the best by top-1,
   then AUROC, is printed as the [search] settings to use.
3. With those weights, the real evaluation path (index, calibration, decision) over the dev questions at
   several answer/clarify confidences: answer rate, answered accuracy, hand-off recall.

The test half and the second knowledge base (bench/data/kb_apotek) are never read here.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from signals import embedder, signal_table
from tqdm import tqdm

from config import SearchSettings, load_settings
from knowledge.evaluation import EvalCase
from knowledge.formats import read_articles
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import Fusion
from knowledge.translations import is_hit

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "knowledge" / "demo"
QUESTIONS = REPO / "bench" / "data" / "demo_questions.jsonl"


def demo_articles(folder: Path = DEMO) -> list[IndexedArticle]:
    return [IndexedArticle.of(a) for a in read_articles(folder)]


def demo_cases(split: str, path: Path = QUESTIONS) -> list[EvalCase]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [EvalCase(r["question"], r["expected"]) for r in rows if r["split"] == split]


GRID = {
    "passage_weight": [0.0, 0.5, 1.0, 1.5],
    "lexical_weight": [0.0, 0.05, 0.1],
    "char_weight": [0.0, 0.05, 0.1, 0.2],
    "head_weight": [0.0, 0.1, 0.2, 0.4],
}


async def thresholds(model: str, search: SearchSettings, cases: list[EvalCase]) -> None:
    from infra.db import create_engine, create_sessionmaker
    from infra.migrate import upgrade
    from knowledge.embedding_store import EmbeddingStore
    from knowledge.evaluation import run_eval

    settings = load_settings(environ={}, database={"url": "sqlite+aiosqlite:///:memory:"})
    engine = create_engine(settings.database)
    await upgrade(engine)
    store = EmbeddingStore(create_sessionmaker(engine), embedder(model))
    print("\nanswer  clarify  answer-rate  answered-acc  in-scope-acc  handoff-recall  auroc")
    last: list[Any] = []
    for answer, clarify in [(0.3, 0.2), (0.4, 0.25), (0.5, 0.3), (0.6, 0.35), (0.7, 0.4)]:
        tuned = search.model_copy(update={"answer_confidence": answer, "clarify_confidence": clarify})
        report, results = await run_eval(demo_articles(), cases, store, tuned)
        last = results
        print(
            f"{answer:6.2f} {clarify:8.2f} {report['answer_rate']:12.3f} {report['answered_accuracy']:13.3f}"
            f" {report['in_scope_accuracy']:13.3f} {report['handoff_recall']:15.3f} {report['auroc']:6.3f}"
        )
    # Does the confidence mean what it says? Share of dev questions whose top article is right, by bin.
    print("\nconfidence bin   questions  mean confidence  top article right")
    edges = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0001]
    for lo, hi in itertools.pairwise(edges):
        rows = [(r, c) for r, c in zip(last, cases, strict=True) if lo <= r.confidence < hi]
        if rows:
            right = sum(is_hit(r, c.expected) for r, c in rows) / len(rows)
            mean = sum(r.confidence for r, _ in rows) / len(rows)
            print(f"  {lo:.1f}–{min(hi, 1):.1f}  {len(rows):12d}  {mean:15.3f}  {right:17.3f}")
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="e5-small")
    args = parser.parse_args()
    cases = demo_cases("dev")
    table = signal_table(embedder(args.model), demo_articles(), cases)
    results = []
    combos = list(itertools.product(*GRID.values()))
    for values in tqdm(combos, desc="weights", file=sys.stderr):
        weights = dict(zip(GRID, values, strict=True))
        m = table.metrics(table.fused(Fusion(lexical_scale=3.0, **weights)))
        results.append((round(m["top1"], 4), round(m["auroc"], 4), weights))
    results.sort(key=lambda r: (r[0], r[1]), reverse=True)
    print(f"{len(cases)} dev questions; best weights by top-1, then AUROC of the raw score:")
    for top1, auc, weights in results[:10]:
        print(f"  top-1 {top1:.3f}  auroc {auc:.3f}  {weights}")
    base = results[[r[2] for r in results].index(dict.fromkeys(GRID, 0.0))]
    print(f"  (question cosine alone: top-1 {base[0]:.3f}, auroc {base[1]:.3f})")
    best = results[0][2]
    search = load_settings(environ={}).search.model_copy(
        update={**best, "lexical_scale": 3.0, "languages": {}}
    )
    asyncio.run(thresholds(args.model, search, cases))


if __name__ == "__main__":
    main()
