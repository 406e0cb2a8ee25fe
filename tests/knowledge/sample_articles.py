"""Three small English articles the knowledge tests share, and helpers to look at what the index holds."""

from __future__ import annotations

from knowledge import ArticleData, KnowledgeBase
from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle


def articles() -> list[ArticleData]:
    return [
        ArticleData(
            slug="swish",
            title="Pay with Swish",
            lang="en",
            tags=["payment"],
            body="Choose Swish at checkout.\n\nApprove the payment with BankID in the Swish app.",
            questions=["Can I pay with Swish?", "How does Swish work?"],
        ),
        ArticleData(
            slug="shipping",
            title="Shipping costs",
            lang="en",
            body="Shipping is free over 500 kr.\n\nHome delivery costs 99 kr.",
            questions=["How much is shipping?", "Is delivery free?"],
        ),
        ArticleData(
            slug="returns",
            title="Returning an item",
            lang="en",
            body="You have 30 days to return an item.",
            questions=["Can I return my order?", "How do I send something back?"],
        ),
    ]


def texts_of(items: list[ArticleData]) -> set[str]:
    """The distinct texts the index embeds for these articles."""
    return set(SearchIndex.texts_of([indexed(a) for a in items]))


def indexed(a: ArticleData) -> IndexedArticle:
    return IndexedArticle(
        slug=a.slug, title=a.title, lang=a.lang, status=a.status, body=a.body, questions=tuple(a.questions)
    )


async def top(kb: KnowledgeBase, question: str, **kwargs: object) -> str | None:
    result = await kb.search(question, **kwargs)  # type: ignore[arg-type]
    return result.best.slug if result.best else None
