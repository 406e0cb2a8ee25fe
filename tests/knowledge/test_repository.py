"""knowledge/repository.py through a real `KnowledgeBase` on SQLite: a version per change with its author,
restoring an old version (as a new one) with its questions' sources."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config import NotFoundError
from knowledge import ArticleData, KnowledgeBase
from tests.knowledge.sample_articles import articles, top


async def test_versions_and_restore(kb: KnowledgeBase) -> None:
    swish = articles()[0]
    await kb.save(swish, author="ada")
    await kb.save(replace(swish, body="Swish is gone.", questions=["Swish?"]), author="bo")
    assert await top(kb, "Swish?", include_drafts=True) == "swish"
    restored = await kb.restore("swish", 1, author="cy")
    assert restored["version"] == 3
    assert restored["body"] == swish.body
    assert restored["questions"] == swish.questions
    versions = await kb.versions("swish")
    assert [(v["version"], v["author"]) for v in versions] == [(1, "ada"), (2, "bo"), (3, "cy")]
    assert versions[1]["article"]["body"] == "Swish is gone."
    assert versions[2]["article"]["body"] == swish.body
    # the index follows the restore
    assert "Swish?" not in {u.text for u in kb.index.units}
    with pytest.raises(NotFoundError):
        await kb.restore("swish", 7)


async def test_restore_snapshot_keeps_question_sources(kb: KnowledgeBase) -> None:
    await kb.save(ArticleData(slug="a", title="A", body="one", questions=["q1"]))
    await kb.add_question("a", "q2", source="resolved_ticket")  # version 2
    await kb.save(ArticleData(slug="a", title="A", body="two", questions=["q1"]))  # version 3 drops q2
    restored = await kb.restore("a", 2)
    assert restored["question_sources"][1] == {"text": "q2", "source": "resolved_ticket"}
    versions = await kb.versions("a")
    assert versions[-1]["article"]["question_sources"] == ["admin", "resolved_ticket"]
