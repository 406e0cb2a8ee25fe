"""`ArticleReads`: listing filters, summaries, the import dry run."""

from __future__ import annotations

from knowledge import ArticleData, KnowledgeBase
from tests.knowledge.sample_articles import articles


async def test_listing_filters(kb: KnowledgeBase) -> None:
    await kb.import_articles(
        [*articles(), ArticleData(slug="sv-art", title="Svensk", lang="sv", status="draft")]
    )
    assert [a["slug"] for a in await kb.list_articles(lang="sv")] == ["sv-art"]
    assert [a["slug"] for a in await kb.list_articles(status="draft")] == ["sv-art"]
    assert [a["slug"] for a in await kb.list_articles(tag="payment")] == ["swish"]
    assert [a["slug"] for a in await kb.list_articles(query="SHIP")] == ["shipping"]
    assert len(await kb.list_articles()) == 4
