"""knowledge/learned_examples.py: stored versions are scrubbed of learned texts; a dry run counts only."""

from __future__ import annotations

from knowledge import KnowledgeBase
from knowledge.learned_examples import find, rewrite, scrub_snapshot
from tests.knowledge.sample_articles import articles


def test_scrub_snapshot_replaces_drops_and_keeps_sources_aligned() -> None:
    snapshot = {
        "title": "Returns",
        "questions": ["How do I return?", "Return for Anna?", "Return a sofa?"],
        "question_sources": ["admin", "resolved_ticket", "gap"],
    }
    out = scrub_snapshot(snapshot, {"Return for Anna?": "Return for a friend?", "Return a sofa?": None})
    assert out == {
        "title": "Returns",
        "questions": ["How do I return?", "Return for a friend?"],
        "question_sources": ["admin", "admin"],  # a rewrite is the admin's text now
    }
    # a rewrite the snapshot already holds is dropped, not doubled
    assert scrub_snapshot(snapshot, {"Return for Anna?": "How do I return?"})["questions"] == [  # type: ignore[index]
        "How do I return?",
        "Return a sofa?",
    ]
    assert scrub_snapshot(snapshot, {"unrelated": None}) is None


async def test_dry_run_counts_without_writing(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    await kb.add_question("returns", "Return for Anna?", source="resolved_ticket")
    async with kb.sessions() as session, session.begin():
        (learned,) = await find(session, ["Return for Anna?", "How do I send something back?"])
        changes = await rewrite(session, {learned.id: None}, dry_run=True)
    assert (changes.removed, changes.kept, changes.slugs, changes.texts) == (
        1,
        0,
        {"returns"},
        {"Return for Anna?"},
    )
    assert "Return for Anna?" in (await kb.get("returns"))["questions"]
