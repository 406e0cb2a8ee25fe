"""Search over a real `KnowledgeBase` on SQLite: drafts stay out unless asked for."""

from __future__ import annotations

from knowledge import ArticleData, KnowledgeBase
from tests.knowledge.sample_articles import articles, top


async def test_drafts_are_out_of_search_unless_asked_for(kb: KnowledgeBase) -> None:
    secret = ArticleData(
        slug="secret", title="Secret sale", lang="en", status="draft", questions=["When is the secret sale?"]
    )
    await kb.import_articles([*articles(), secret])
    assert "secret" not in [a.slug for a in (await kb.search("When is the secret sale?")).articles]
    assert await top(kb, "When is the secret sale?", include_drafts=True) == "secret"
    await kb.save(
        ArticleData(slug="secret", title="Secret sale", lang="en", questions=["When is the secret sale?"])
    )
    result = await kb.search("When is the secret sale?")
    assert result.decision == "answer"
    assert result.best is not None and result.best.slug == "secret"
