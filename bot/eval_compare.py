"""`kundresa eval … --compare`: several answer methods side by side on the same questions, in one run.

Each method is a model (the English MiniLM or multilingual-e5-small), the fusion of signals the search
uses, and whether the model was fine-tuned on the articles first (`--tuned` adds those rows). Every row
runs the whole evaluation path — index, calibration, decision — so the figures are those `eval` prints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from config import Settings

__all__ = ["METHODS", "Method", "compare", "format_table"]

_QUESTIONS_ONLY = {
    "passage_weight": 0.0,
    "lexical_weight": 0.0,
    "char_weight": 0.0,
    "head_weight": 0.0,
    "centroid_weight": 0.0,
}


@dataclass(frozen=True)
class Method:
    name: str
    model: str
    search: dict[str, Any] = field(default_factory=dict)  # overrides of the configured [search]
    tuned: bool = False
    english: str | None = None  # the English questions' second model; None: as configured (model.english)


METHODS = (
    Method("MiniLM: nearest example question", "bundled", _QUESTIONS_ONLY),
    Method("MiniLM: + BM25 (the previous default)", "bundled", {**_QUESTIONS_ONLY, "lexical_weight": 0.15}),
    Method("MiniLM: fused (this release's weights)", "bundled"),
    Method("e5: nearest example question", "e5-small", _QUESTIONS_ONLY),
    Method("e5: + passages", "e5-small", {**_QUESTIONS_ONLY, "passage_weight": 1.0}),
    Method(
        "e5: + passages + char n-grams",
        "e5-small",
        {**_QUESTIONS_ONLY, "passage_weight": 1.0, "char_weight": 0.05},
    ),
    Method(
        "e5: + passages + BM25", "e5-small", {**_QUESTIONS_ONLY, "passage_weight": 1.0, "lexical_weight": 0.1}
    ),
    Method("e5: + classifier head (no centroid)", "e5-small", {"centroid_weight": 0.0}, english=""),
    Method("e5: fused (+ head + centroid)", "e5-small", english=""),
    Method("e5: fused + MiniLM for English questions", "e5-small", english="bundled"),
    Method("configured default", "e5-small"),
    Method("e5: fused, uncalibrated confidence", "e5-small", {"calibrate": False}),
    Method("e5: fused, fine-tuned (kb tune)", "e5-small", tuned=True),
)

COLUMNS = (
    ("top1_accuracy", "top-1"),
    ("in_scope_accuracy", "in-scope"),
    ("answer_rate", "answered"),
    ("answered_accuracy", "ans. acc."),
    ("handoff_recall", "OOS handoff"),
    ("auroc", "AUROC"),
    ("in_scope_accuracy_at_80_recall", "acc@80%OOS"),
    ("seconds", "s"),
)


@asynccontextmanager
async def _store(settings: Settings, sessions: Any) -> AsyncIterator[Any]:
    from knowledge import Embedder
    from knowledge.embedding_store import EmbeddingStore

    embedder = Embedder(settings.model.model_copy(update={"worker": "thread"}))
    await embedder.start()
    try:
        yield EmbeddingStore(sessions, embedder)
    finally:
        await embedder.close()


async def compare(
    settings: Settings,
    sessions: Any,
    articles: Sequence[Any],
    cases: Sequence[Any],
    *,
    tuned: bool,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """One report per method (tuned ones only when `tuned`), in METHODS order."""
    from bot.cli.evaluate import tuned_store
    from knowledge.evaluation import run_eval

    rows = []
    vectors: dict[str, dict[str, Any]] = {}  # model -> question text -> vector (untuned models only)
    for method in METHODS:
        if method.tuned and not tuned:
            continue
        s = settings.model_copy(
            update={
                "model": settings.model.model_copy(update={"name": method.model, "tuned": "off"}),
                "search": settings.search.model_copy(update=method.search),
            }
        )
        english = settings.model.english if method.english is None else method.english
        opened: Any = tuned_store(s, sessions, list(articles)) if method.tuned else _store(s, sessions)
        async with AsyncExitStack() as stack:
            entered = await stack.enter_async_context(opened)
            store = entered[0] if method.tuned else entered
            cache = None if method.tuned else vectors.setdefault(method.model, {})
            second = None
            if english:
                two = s.model_copy(update={"model": s.model.model_copy(update={"name": english})})
                second = await stack.enter_async_context(_store(two, sessions))
            report, _ = await run_eval(articles, cases, store, s.search, progress, cache, second)
        rows.append({"method": method.name, "model": store.embedder.model_id, **report})
    return rows


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return "—"
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    header = ["method", *(title for _, title in COLUMNS)]
    lines = [[r["method"], *(cell(r.get(key)) for key, _ in COLUMNS)] for r in rows]
    widths = [max(len(str(x[i])) for x in [header, *lines]) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)
