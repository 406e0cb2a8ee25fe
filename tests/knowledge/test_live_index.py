"""The live index: only new texts are encoded, the embedding cache survives a restart, a change rebuilds
only its article's part (through a real `KnowledgeBase` on SQLite)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import numpy as np

from knowledge import ArticleData, KnowledgeBase
from knowledge.index import SearchIndex
from knowledge.index_blocks import article_units
from tests.knowledge.sample_articles import articles, indexed, texts_of

OpenKB = Callable[[], Awaitable[KnowledgeBase]]


async def test_edit_reembeds_only_new_texts(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    assert kb.store.encoded == len(texts_of(articles()))

    swish = articles()[0]
    steps: list[tuple[ArticleData, int]] = [
        (replace(swish, title="Paying with Swish"), 1),  # one new title
        (replace(swish, title="Paying with Swish", questions=[*swish.questions, "Swish?", "Swisha?"]), 2),
        # one paragraph of the body changes, the other is cached
        (
            replace(
                swish,
                title="Paying with Swish",
                questions=[*swish.questions, "Swish?", "Swisha?"],
                body="Pick Swish at checkout.\n\nApprove the payment with BankID in the Swish app.",
            ),
            1,
        ),
        # back to the first version: every text is in the cache
        (swish, 0),
        # texts another article already has are cached too
        (replace(swish, questions=["How much is shipping?", "Is delivery free?"]), 0),
        # tags and status are not embedded
        (replace(swish, tags=["a", "b"], status="draft"), 0),
    ]
    for data, new in steps:
        before = kb.store.encoded
        _, change = await kb.save(data)
        assert change == "updated"
        assert kb.store.encoded - before == new, data
        assert {u.text for u in article_units(indexed(data), 0)} <= {u.text for u in kb.index.units}

    before = kb.store.encoded
    _, change = await kb.save(replace(swish, tags=["a", "b"], status="draft"))
    assert change == "unchanged"
    await kb.add_question("returns", "Can I return a sofa?")
    assert kb.store.encoded == before + 1


async def test_embedding_cache_survives_a_restart(open_kb: OpenKB) -> None:
    first = await open_kb()
    await first.import_articles(articles())
    assert first.store.encoded == len(texts_of(articles()))
    answers = [(await first.search(q)).to_json() for q in ("Can I pay with Swish?", "free delivery")]

    second = await open_kb()  # a new engine, embedder, store and index on the same database file
    assert second.store is not first.store
    assert second.store.encoded == 0
    assert len(second.index) == 3
    assert [(await second.search(q)).to_json() for q in ("Can I pay with Swish?", "free delivery")] == answers

    # the cache only saves work: an edit in the new process still encodes the new text
    await second.add_question("swish", "Does Swish work from abroad?")
    assert second.store.encoded == 1


async def test_saving_one_article_rebuilds_only_its_part_of_the_index(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    before = {b.article.slug: b for b in kb.index.blocks}
    await kb.save(replace(articles()[1], body="Shipping is free over 300 kr."))
    after = {b.article.slug: b for b in kb.index.blocks}
    assert after["swish"] is before["swish"] and after["returns"] is before["returns"]
    assert after["shipping"] is not before["shipping"]
    assert "Shipping is free over 300 kr." in after["shipping"].texts
    # the incrementally updated classifier equals one fitted from scratch
    fresh = SearchIndex(list(kb.index.blocks), kb.index.dim, kb.index.fusion, kb.index.prefixes)
    assert kb.index.head_stats is not None and fresh.head_stats is not None
    assert np.allclose(kb.index.head_stats.gram, fresh.head_stats.gram, atol=1e-6)
    await kb.delete("returns")
    assert [b.article.slug for b in kb.index.blocks] == ["swish", "shipping"]
    await kb.calibrated()
    result = await kb.search("How much is shipping?")
    assert result.calibrated and 0.0 <= result.confidence <= 1.0
