"""`kundresa eval`: answer quality on BANKING77, CLINC150 or a JSONL file of expected answers."""

from __future__ import annotations

import csv
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from config import ImportFormatError, SearchSettings, ValidationError
from knowledge.calibration import calibrate, out_of_scope_questions
from knowledge.decision import SearchResult, decide
from knowledge.embedding_store import EmbeddingStore
from knowledge.ensemble import SECOND_FUSION, aligned, second_scores, wants_second
from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import Fusion
from knowledge.search import spelled
from knowledge.text import detect_lang, text_hash
from knowledge.translations import is_hit

SEED = 20261125


@dataclass
class EvalCase:
    question: str
    expected: str | None  # None: no article answers it; the bot should hand off


@dataclass
class EvalSet:
    name: str
    articles: list[IndexedArticle]
    cases: list[EvalCase]


def _title(intent: str) -> str:
    return intent.replace("_", " ").strip().capitalize()


def _articles(rows: Sequence[tuple[str, str]], shots: int | None) -> list[IndexedArticle]:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in rows:
        by_intent[intent].append(text)
    rng = random.Random(SEED)
    out = []
    for intent in sorted(by_intent):
        questions = by_intent[intent]
        if shots is not None:
            questions = rng.sample(questions, min(shots, len(questions)))
        out.append(IndexedArticle(slug=intent, title=_title(intent), questions=tuple(questions)))
    return out


def load_banking77(data_dir: Path, shots: int | None = None, split: str = "test") -> EvalSet:
    def read(name: str) -> list[tuple[str, str]]:
        path = data_dir / "banking77" / name
        if not path.exists():
            raise ValidationError(f"{path} not found: pass --data DIR pointing at the shared data folder")
        with path.open(encoding="utf-8", newline="") as fh:
            return [(r["text"], r["category"]) for r in csv.DictReader(fh)]

    train = read("train.csv")
    cases = [EvalCase(t, c) for t, c in read("test.csv")] if split == "test" else []
    return EvalSet("banking77", _articles(train, shots), cases)


def load_clinc150(data_dir: Path, shots: int | None = None, split: str = "test") -> EvalSet:
    path = data_dir / "clinc150" / "data_full.json"
    if not path.exists():
        raise ValidationError(f"{path} not found: pass --data DIR pointing at the shared data folder")
    data = json.loads(path.read_text(encoding="utf-8"))
    train = [(t, i) for t, i in data["train"]]
    cases = [EvalCase(t, i) for t, i in data[split]] + [EvalCase(t, None) for t, _ in data[f"oos_{split}"]]
    return EvalSet("clinc150", _articles(train, shots), cases)


def load_cases(path: Path) -> list[EvalCase]:
    cases = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ImportFormatError(str(path), n, f"not valid JSON: {exc.msg}") from exc
            if not isinstance(row, dict) or not isinstance(row.get("question"), str) or "expected" not in row:
                raise ImportFormatError(
                    str(path), n, 'each line needs {"question": "...", "expected": slug|null}'
                )
            cases.append(EvalCase(row["question"], row["expected"]))
    return cases


def auroc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """Probability that a random in-scope question scores above a random out-of-scope one (ties half)."""
    if not len(positive) or not len(negative):
        return None
    scores = np.concatenate([np.asarray(positive, float), np.asarray(negative, float)])
    order = scores.argsort(kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    for value in np.unique(scores):  # average ranks of ties
        tie = scores == value
        if tie.sum() > 1:
            ranks[tie] = ranks[tie].mean()
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


async def _second_index(articles: Sequence[IndexedArticle], store: EmbeddingStore) -> SearchIndex:
    prefixes = store.embedder.prefixes
    vectors = await store.vectors_for(list(dict.fromkeys(SearchIndex.texts_of(articles, prefixes))))
    return SearchIndex.build(list(articles), vectors, store.embedder.dim, SECOND_FUSION, prefixes)


def metrics(cases: Sequence[EvalCase], results: Sequence[SearchResult], seconds: float) -> dict[str, object]:
    n = len(cases)
    in_scope = [(c, r) for c, r in zip(cases, results, strict=True) if c.expected is not None]
    oos = [(c, r) for c, r in zip(cases, results, strict=True) if c.expected is None]
    top1 = [is_hit(r, c.expected) for c, r in in_scope]  # another language version of it counts too
    answered = [(c, r) for c, r in zip(cases, results, strict=True) if r.decision == "answer"]
    answered_ok = [is_hit(r, c.expected) for c, r in answered]
    kept = [r.decision != "handoff" and is_hit(r, c.expected) for c, r in in_scope]
    return {
        "n": n,
        "n_in_scope": len(in_scope),
        "n_out_of_scope": len(oos),
        "top1_accuracy": _mean(top1),
        "in_scope_accuracy": _mean(kept),
        "answer_rate": len(answered) / n if n else None,
        "answered_accuracy": _mean(answered_ok),
        "clarify_rate": sum(r.decision == "clarify" for r in results) / n if n else None,
        "handoff_recall": _mean([r.decision == "handoff" for _, r in oos]),
        "auroc": auroc([r.confidence for _, r in in_scope], [r.confidence for _, r in oos]),
        "in_scope_accuracy_at_80_recall": accuracy_at_recall(in_scope, oos, top1, 0.8),
        "seconds": round(seconds, 2),
    }


def accuracy_at_recall(
    in_scope: Sequence[tuple[EvalCase, SearchResult]],
    oos: Sequence[tuple[EvalCase, SearchResult]],
    right: Sequence[bool],
    recall: float,
) -> float | None:
    """In-scope accuracy when the confidence threshold is set so that `recall` of the out-of-scope
    questions fall below it (are handed off): CLINC150's usual operating point."""
    if not in_scope or not oos:
        return None
    threshold = float(np.quantile([r.confidence for _, r in oos], recall))
    kept = [ok and r.confidence > threshold for ok, (_, r) in zip(right, in_scope, strict=True)]
    return _mean(kept)


def _mean(values: Sequence[bool]) -> float | None:
    return float(np.mean(values)) if len(values) else None


async def run_eval(
    articles: Sequence[IndexedArticle],
    cases: Sequence[EvalCase],
    store: EmbeddingStore,
    settings: SearchSettings,
    progress: Callable[[str, int, int], None] | None = None,
    question_vectors: dict[str, np.ndarray] | None = None,
    second: EmbeddingStore | None = None,
) -> tuple[dict[str, object], list[SearchResult]]:
    """Index `articles`, ask every case, and score the decisions. `question_vectors`: a cache of the
    cases' vectors (by text) shared by several runs with one model (`eval --compare`); kept in memory,
    never in the database's embedding cache. `second`: the English questions' second model
    (knowledge/ensemble.py), as the server uses it."""
    started = time.perf_counter()
    second_index = await _second_index(articles, second) if second is not None else None
    prefixes = store.embedder.prefixes
    texts = SearchIndex.texts_of(articles, prefixes)
    unique = list(dict.fromkeys(texts))
    done = 0

    def tick(k: int) -> None:
        nonlocal done
        done += k
        if progress:
            progress("embedding articles", done, len(unique))

    vectors = await store.vectors_for(unique, tick)
    index = SearchIndex.build(list(articles), vectors, store.embedder.dim, Fusion.of(settings), prefixes)
    calibration = None
    if settings.calibrate:
        oos = out_of_scope_questions()
        oos_texts = [prefixes.query + q for q in oos]
        oos_vectors = await store.vectors_for(oos_texts)
        pairs = [(q, oos_vectors[text_hash(t)]) for q, t in zip(oos, oos_texts, strict=True)]

        def fusion_for(text: str) -> Fusion:
            return Fusion.of(settings.for_lang(detect_lang(text)))

        calibration = calibrate(index, fusion_for, pairs)
    results: list[SearchResult] = []
    batch = 256
    for i in range(0, len(cases), batch):
        chunk = cases[i : i + batch]
        # As the live search asks them: misspelt words put right first (`search.spelling`).
        asked = [spelled(index, c.question, settings) for c in chunk]
        texts = [prefixes.query + q for q in asked]
        if question_vectors is None:
            vecs = await store.embedder.encode(texts)
        else:
            todo = [t for t in dict.fromkeys(texts) if t not in question_vectors]
            question_vectors.update(zip(todo, await store.embedder.encode(todo), strict=True))
            vecs = np.stack([question_vectors[t] for t in texts])
        english = [
            q
            for c, q in zip(chunk, asked, strict=True)
            if second_index is not None and wants_second(c.question)
        ]
        extras: dict[str, np.ndarray] = {}
        if english and second is not None and second_index is not None:
            qs = list(dict.fromkeys(second.embedder.prefixes.query + q for q in english))
            for text, v in zip(qs, await second.embedder.encode(qs), strict=True):
                extras[text] = aligned(
                    index, second_index, second_scores(second_index, v), settings.english_weight
                )
        for case, question, vec in zip(chunk, asked, vecs, strict=True):
            tuned = settings.for_lang(detect_lang(case.question))
            fusion = Fusion.of(tuned)
            extra = extras.get(second.embedder.prefixes.query + question) if second else None
            ranked = index.score(vec, question, limit=settings.max_results, fusion=fusion, extra=extra)
            results.append(decide(question, ranked, tuned, calibration))
        if progress:
            progress("asking questions", len(results), len(cases))
    return metrics(cases, results, time.perf_counter() - started), results
