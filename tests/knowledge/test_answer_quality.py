"""Answer quality pinned: the demo dev set's test half and a fixed BANKING77 10-shot subset, through the
whole evaluation path (shipped settings: e5, fusion, classifier head, calibration, decision).

RECORDED holds what this code measured (BENCHMARKS.md); a drop of more than one point fails. Figures are
per dtype: a CPU with native bfloat16 runs the model in it (`model.dtype = "auto"`), others in float32.
"""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from config import load_settings
from infra.db import create_engine, create_sessionmaker
from infra.migrate import upgrade
from knowledge import Embedder
from knowledge.embedding_store import EmbeddingStore
from knowledge.evaluation import EvalCase, load_banking77, run_eval
from knowledge.formats import read_articles
from knowledge.index_blocks import IndexedArticle

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
QUESTIONS = REPO / "bench" / "data" / "demo_questions.jsonl"
B77_SUBSET = 400  # BANKING77 test rows (fixed sample): the full 3,080 take too long for `make test`

# (top-1, AUROC) measured on this code; dtype -> figures. bfloat16's re-measured after the centroid signal
# (issue 11's third pass: demo 0.8444 / 0.9591 -> 0.8556 / 0.9716, BANKING77 subset 0.805 -> 0.8075) and
# again with spelling (search.spelling: demo 0.8611 / 0.9707, BANKING77 subset 0.8100); float32's are from
# before the centroid (not re-measured: this machine runs bfloat16).
RECORDED = {
    "demo_test": {"bfloat16": (0.8611, 0.9707), "float32": (0.8444, 0.9553)},
    "banking77_10shot_subset": {"bfloat16": (0.8100, None), "float32": (0.8025, None)},
}
SLACK = 0.01


def demo_articles() -> list[IndexedArticle]:
    return [IndexedArticle.of(a) for a in read_articles(REPO / "knowledge" / "demo")]


def demo_test_cases() -> list[EvalCase]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [EvalCase(r["question"], r["expected"]) for r in rows if r["split"] == "test"]


async def _evaluate(db: Path, articles: list[IndexedArticle], cases: list[EvalCase]) -> tuple[dict, str]:
    settings = load_settings(
        environ={}, model={"worker": "thread"}, database={"url": f"sqlite+aiosqlite:///{db}"}
    )
    engine = create_engine(settings.database)
    embedder = Embedder(settings.model)
    try:
        await upgrade(engine)
        await embedder.start()
        report, _ = await run_eval(
            articles, cases, EmbeddingStore(create_sessionmaker(engine), embedder), settings.search
        )
        return report, embedder.dtype
    finally:
        await embedder.close()
        await engine.dispose()


def _check(name: str, report: dict, dtype: str) -> None:
    top1, auroc = RECORDED[name][dtype]
    print(
        f"\n{name} ({dtype}): top-1 {report['top1_accuracy']:.4f} (recorded {top1}), auroc {report['auroc']}"
    )
    assert report["top1_accuracy"] >= top1 - SLACK
    if auroc is not None:
        assert report["auroc"] >= auroc - SLACK


@pytest.mark.slow
def test_demo_dev_set_test_half(tmp_path: Path) -> None:
    cases = demo_test_cases()
    assert len(cases) >= 200 and sum(c.expected is None for c in cases) >= 40
    report, dtype = asyncio.run(_evaluate(tmp_path / "kb.db", demo_articles(), cases))
    _check("demo_test", report, dtype)


@pytest.mark.slow
def test_banking77_10_shot_subset(tmp_path: Path) -> None:
    evset = load_banking77(SHARED, shots=10)
    cases = random.Random(11).sample(evset.cases, B77_SUBSET)
    report, dtype = asyncio.run(_evaluate(tmp_path / "kb.db", evset.articles, cases))
    _check("banking77_10shot_subset", report, dtype)
