"""`knowledge.gaps.gap_groups` over a real `KnowledgeBase`: groups largest first, with examples, reasons
and the closest articles as suggestions; handled questions leave the report."""

from __future__ import annotations

from knowledge import KnowledgeBase
from knowledge.gaps import gap_groups
from tests.knowledge.sample_articles import articles

# Swedish, which the test model reads poorly: the lexical signal groups them (knowledge/gap_clustering.py).
SIMILAR_A = "Kan jag betala med bitcoin?"
SIMILAR_B = "Går det att betala med bitcoin hos er?"
DIFFERENT = "Har ni en fysisk butik i Göteborg där man kan titta på soffor?"


async def test_the_report_groups_and_suggests(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    await kb.record_gap(SIMILAR_A, "no_answer", channel="web")
    await kb.record_gap(SIMILAR_B, "not_helpful", channel="slack")
    await kb.record_gap(DIFFERENT, "no_answer")
    await kb.record_gap("   ", "no_answer")  # blank: never reported
    groups = await gap_groups(kb)
    assert [g["size"] for g in groups] == [2, 1]
    top = groups[0]
    assert {e["text"] for e in top["examples"]} == {SIMILAR_A, SIMILAR_B}
    assert top["reasons"] == {"no_answer": 1, "not_helpful": 1}
    assert top["first_seen"] <= top["last_seen"]
    assert 1 <= len(top["suggested_articles"]) <= 3
    assert all({"slug", "title", "score"} <= set(a) for a in top["suggested_articles"])
    assert len(await gap_groups(kb, limit=1)) == 1

    await kb.mark_gaps_handled(top["ids"])
    assert [g["size"] for g in await gap_groups(kb)] == [1]


async def test_no_gaps_no_groups(kb: KnowledgeBase) -> None:
    assert await gap_groups(kb) == []
