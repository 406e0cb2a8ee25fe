"""`knowledge.reads.ArticleReads`: listing filters, summaries, the import dry run."""

from __future__ import annotations

from dataclasses import replace

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


async def test_summaries_are_every_article_without_its_texts(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    summaries = await kb.summaries()
    assert [s["slug"] for s in summaries] == ["swish", "shipping", "returns"]  # creation order
    assert summaries[0] == {
        "slug": "swish",
        "title": "Pay with Swish",
        "status": "published",
        "lang": "en",
        "tags": ["payment"],
    }


async def test_import_preview_says_what_an_import_would_do_and_changes_nothing(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles()[:2])
    incoming = [
        replace(articles()[0], questions=[f"  {q} " for q in articles()[0].questions]),  # untidy: unchanged
        replace(articles()[1], body="Shipping is always free."),
        articles()[2],
    ]
    preview = await kb.import_preview(incoming)
    assert preview == {"created": ["returns"], "updated": ["shipping"], "unchanged": ["swish"]}
    assert [a["slug"] for a in await kb.list_articles()] == ["swish", "shipping"]
    assert (await kb.get("shipping"))["version"] == 1
