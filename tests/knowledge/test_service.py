"""`KnowledgeBase`, the facade: loading the index at start, following another process's writes
(`reindex`), and the change listeners."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from knowledge import ArticleData, KnowledgeBase
from tests.knowledge.sample_articles import articles, top

OpenKB = Callable[[], Awaitable[KnowledgeBase]]


async def test_refresh_loads_what_the_database_holds(open_kb: OpenKB) -> None:
    writer = await open_kb()
    await writer.import_articles(articles())
    reader = await open_kb()  # `open_kb` refreshes, as the server does at start
    assert sorted(reader.index.by_slug) == ["returns", "shipping", "swish"]
    assert reader.calibration is not None or not reader.settings.calibrate
    assert not await reader.is_empty()


async def test_another_process_follows_through_reindex(open_kb: OpenKB) -> None:
    writer, reader = await open_kb(), await open_kb()
    announced: list[list[str]] = []

    async def share(slugs: list[str]) -> None:  # what bot/knowledge_sync.py does over the event bus
        announced.append(slugs)
        await reader.reindex(slugs)

    remove = writer.on_change(share)
    await writer.import_articles(articles())
    assert await top(reader, "Can I pay with Swish?") == "swish"
    await writer.delete("swish")
    assert "swish" not in reader.index.by_slug
    remove()
    await writer.create(ArticleData(slug="gift", title="Gift cards", lang="en", questions=["Gift card?"]))
    assert "gift" not in reader.index.by_slug  # no longer told
    assert announced == [["swish", "shipping", "returns"], ["swish"]]
    await reader.calibrated()


async def test_published_is_what_customers_may_be_shown(kb: KnowledgeBase) -> None:
    draft = ArticleData(slug="secret", title="Secret sale", lang="en", status="draft")
    await kb.import_articles([*articles(), draft])
    published = await kb.published("swish")
    assert published is not None and published.title == "Pay with Swish"
    assert await kb.published("secret") is None
    assert await kb.published("no-such") is None
