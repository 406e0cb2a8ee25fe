"""Search quality on the demo knowledge base: paraphrases that are not example questions.

The floors are a ratchet set a little below what the code measured when they were written (see each
constant); raise them when search gets better, never lower them to make a change pass.
"""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from config import load_settings
from infra.db import create_engine, create_sessionmaker
from infra.migrate import upgrade
from knowledge import Embedder, KnowledgeBase, SearchResult
from knowledge.formats import read_articles

HERE = Path(__file__).resolve().parent
DEMO_KB = HERE.parent.parent / "knowledge" / "demo"
PARAPHRASES = HERE / "data" / "demo_paraphrases.jsonl"

# Measured with multilingual-e5-small and the default [search] settings (fusion, classifier head,
# calibrated confidence), 2026-12-01:
#   sv 19/23 = 0.826 (in scope 16/20 top-1; out of scope 3/3 handed off)
#   en 17/23 = 0.739 (in scope 14/20 top-1; out of scope 3/3 handed off)
# (the English MiniLM with BM25 before it: 0.565 and 0.565). Each floor allows one case to regress.
# Re-measured at issue 11's calibration change (same day): sv 19/23, en 19/23 (in scope 16/20): en's
# floor raised to allow one regression from there.
FLOORS = {"sv": 0.78, "en": 0.78}
OOS_HANDOFF_FLOOR = 5 / 6  # of the six out-of-scope paraphrases, measured 6/6


@dataclass
class Case:
    question: str
    expected: str | None
    lang: str


def load_cases() -> list[Case]:
    lines = PARAPHRASES.read_text(encoding="utf-8").splitlines()
    return [Case(**json.loads(line)) for line in lines if line.strip()]


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", text)).strip()


def hit(case: Case, result: SearchResult) -> bool:
    if case.expected is None:
        return result.decision != "answer"
    # the expected article or its version in the customer's language (same group)
    return result.best is not None and case.expected in (result.best.slug, result.best.group)


async def _ask(questions: list[str], db: Path) -> list[SearchResult]:
    settings = load_settings(
        environ={}, model={"worker": "thread"}, demo=False, database={"url": f"sqlite+aiosqlite:///{db}"}
    )
    engine = create_engine(settings.database)
    embedder = Embedder(settings.model)
    try:
        await upgrade(engine)
        await embedder.start()
        kb = KnowledgeBase(create_sessionmaker(engine), embedder, settings.search)
        await kb.import_articles(read_articles(DEMO_KB))
        return await kb.search_many(questions)  # one encode call: the same ranking as kb.search, cheaper
    finally:
        await embedder.close()
        await engine.dispose()


EXTRA = ["Can I pay with Swish?", "what's the capital of Australia"]


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SearchResult]:
    """Every paraphrase and EXTRA question asked once against the demo knowledge base."""
    questions = [c.question for c in load_cases()] + EXTRA
    results = asyncio.run(_ask(questions, tmp_path_factory.mktemp("quality") / "kb.db"))
    return dict(zip(questions, results, strict=True))


def test_paraphrase_file_is_sound() -> None:
    cases = load_cases()
    slugs = {a.slug for a in read_articles(DEMO_KB)}
    assert len(cases) >= 40
    assert {c.lang for c in cases} == set(FLOORS)
    assert len({c.question for c in cases}) == len(cases)
    for c in cases:
        assert c.expected is None or c.expected in slugs, c
    for lang in FLOORS:
        assert any(c.expected is None for c in cases if c.lang == lang)


def test_no_paraphrase_is_an_example_question() -> None:
    examples = {normalise(q): a.slug for a in read_articles(DEMO_KB) for q in [*a.questions, a.title]}
    leaked = [
        (c.question, examples[normalise(c.question)])
        for c in load_cases()
        if normalise(c.question) in examples
    ]
    assert leaked == []


@pytest.mark.parametrize("lang", sorted(FLOORS))
def test_paraphrase_hit_rate(answers: dict[str, SearchResult], lang: str) -> None:
    cases = [c for c in load_cases() if c.lang == lang]
    hits = [hit(c, answers[c.question]) for c in cases]
    rate = sum(hits) / len(hits)
    in_scope = [c for c in cases if c.expected is not None]
    oos = [c for c in cases if c.expected is None]
    top1 = sum(hit(c, answers[c.question]) for c in in_scope)
    handed_off = sum(answers[c.question].decision == "handoff" for c in oos)
    print(
        f"\n[{lang}] top-1 hit rate {sum(hits)}/{len(hits)} = {rate:.3f} "
        f"(in scope {top1}/{len(in_scope)}; out of scope handed off {handed_off}/{len(oos)})"
    )
    misses = [
        f"  {c.question!r}: expected {c.expected}, got {answers[c.question].decision} "
        f"{answers[c.question].best.slug if answers[c.question].best else None}"
        for c, ok in zip(cases, hits, strict=True)
        if not ok
    ]
    print("\n".join(misses))
    assert rate >= FLOORS[lang], f"{lang} hit rate {rate:.3f} fell below {FLOORS[lang]}"


def test_out_of_scope_paraphrases_are_handed_off(answers: dict[str, SearchResult]) -> None:
    oos = [c for c in load_cases() if c.expected is None]
    rate = sum(answers[c.question].decision == "handoff" for c in oos) / len(oos)
    print(f"\nout of scope handed off: {rate:.3f}")
    assert rate >= OOS_HANDOFF_FLOOR - 1e-9


def test_no_out_of_scope_question_is_answered(answers: dict[str, SearchResult]) -> None:
    answered = [
        (c.question, answers[c.question].best.slug if answers[c.question].best else None)
        for c in load_cases()
        if c.expected is None and answers[c.question].decision == "answer"
    ]
    assert answered == []


def test_exact_example_question_is_answered(answers: dict[str, SearchResult]) -> None:
    result = answers["Can I pay with Swish?"]
    assert result.decision == "answer"
    assert result.best is not None
    assert result.best.slug == "swish-betalning-en"  # the English version answers an English question
    assert result.best.matched == "Can I pay with Swish?"
    assert result.best.matched_kind == "question"
    assert [o.slug for o in result.options] == ["swish-betalning-en"]
    assert result.confidence >= 0.9


def test_out_of_scope_question_is_not_answered(answers: dict[str, SearchResult]) -> None:
    result = answers["what's the capital of Australia"]
    assert result.decision == "handoff"
    assert result.options == []
    assert result.confidence < 0.5
