"""KnowledgeBase on a throwaway SQLite: import reports, incremental re-embedding, the embedding cache
across restarts, deletes, example questions from resolved tickets, versions; and `decide` on its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy.exc import IntegrityError

from config import NotFoundError, SearchSettings, Settings, ValidationError
from infra.db import create_engine, create_sessionmaker
from infra.migrate import upgrade
from knowledge import ArticleData, Embedder, KnowledgeBase, ScoredArticle, decide
from knowledge.index import IndexedArticle, SearchIndex, article_units

OpenKB = Callable[[], Awaitable[KnowledgeBase]]


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


@pytest.fixture
async def open_kb(settings: Settings) -> AsyncIterator[OpenKB]:
    """Opens KnowledgeBases (each with its own engine and embedder) on one SQLite file; closes them all."""
    closers: list[Callable[[], Awaitable[None]]] = []

    async def open_() -> KnowledgeBase:
        engine = create_engine(settings.database)
        embedder = Embedder(settings.model)

        async def close() -> None:
            await embedder.close()
            await engine.dispose()

        closers.append(close)
        await upgrade(engine)
        await embedder.start()
        kb = KnowledgeBase(create_sessionmaker(engine), embedder, settings.search)
        await kb.refresh()
        return kb

    try:
        yield open_
    finally:
        for close in reversed(closers):
            await close()


@pytest.fixture
async def kb(open_kb: OpenKB) -> KnowledgeBase:
    return await open_kb()


async def top(kb: KnowledgeBase, question: str, **kwargs: object) -> str | None:
    result = await kb.search(question, **kwargs)  # type: ignore[arg-type]
    return result.best.slug if result.best else None


# --- import ---------------------------------------------------------------------------------------------


async def test_import_report_created_updated_unchanged(kb: KnowledgeBase) -> None:
    assert await kb.is_empty()
    report = await kb.import_articles(articles(), author="test")
    assert report.created == ["swish", "shipping", "returns"]
    assert report.updated == report.unchanged == []
    assert not await kb.is_empty()
    assert len(kb.index) == 3

    encoded = kb.store.encoded
    report = await kb.import_articles(articles())
    assert (report.created, report.updated, report.unchanged) == ([], [], ["swish", "shipping", "returns"])
    assert kb.store.encoded == encoded
    assert [v["version"] for v in await kb.versions("swish")] == [1]

    changed = articles()
    changed[1] = replace(changed[1], body="Shipping is always free.")
    changed.append(ArticleData(slug="gift-cards", title="Gift cards", lang="en", questions=["Gift card?"]))
    seen: list[int] = []
    report = await kb.import_articles(changed, progress=seen.append)
    assert report.to_json() == {
        "created": ["gift-cards"],
        "updated": ["shipping"],
        "unchanged": ["swish", "returns"],
    }
    assert sum(seen) == 4
    assert (await kb.get("shipping"))["body"] == "Shipping is always free."
    assert (await kb.get("shipping"))["version"] == 2
    assert [v["version"] for v in await kb.versions("shipping")] == [1, 2]
    assert await top(kb, "Gift card?") == "gift-cards"
    assert [a.slug for a in await kb.export_articles()] == ["swish", "shipping", "returns", "gift-cards"]
    assert await kb.export_articles() == changed


async def test_reimport_with_untidy_questions_is_unchanged(kb: KnowledgeBase) -> None:
    untidy = ArticleData(slug="untidy", title="Untidy", questions=["Same?", "Same?", "  Spaced?  "])
    assert (await kb.import_articles([untidy])).created == ["untidy"]
    report = await kb.import_articles([untidy])
    assert report.unchanged == ["untidy"]
    assert len(await kb.versions("untidy")) == 1


async def test_import_is_all_or_nothing(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles()[:1])
    # the second article reaches the database and fails there (no title): the first may not stay
    bad = [articles()[1], ArticleData(slug="bad", title=None)]  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        await kb.import_articles(bad)
    assert [a.slug for a in await kb.export_articles()] == ["swish"]
    with pytest.raises(NotFoundError):
        await kb.get("shipping")


# --- the embedding cache -----------------------------------------------------------------------------


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


# --- delete, questions, versions -------------------------------------------------------------------------


async def test_delete_removes_from_search(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    assert await top(kb, "Can I pay with Swish?") == "swish"
    await kb.delete("swish")
    result = await kb.search("Can I pay with Swish?", include_drafts=True)
    assert "swish" not in [a.slug for a in result.articles]
    assert len(kb.index) == 2
    with pytest.raises(NotFoundError):
        await kb.get("swish")
    with pytest.raises(NotFoundError):
        await kb.versions("swish")
    with pytest.raises(NotFoundError):
        await kb.delete("swish")
    assert {a["slug"] for a in await kb.list_articles()} == {"shipping", "returns"}


async def test_add_question_from_resolved_ticket(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    question = "My parcel went to the wrong pickup point, what now?"
    assert await kb.add_question("shipping", question, source="resolved_ticket", author="agnes")
    article = await kb.get("shipping")
    assert article["questions"][-1] == question
    assert article["question_sources"] == [
        {"text": "How much is shipping?", "source": "admin"},
        {"text": "Is delivery free?", "source": "admin"},
        {"text": question, "source": "resolved_ticket"},
    ]
    assert article["version"] == 2
    versions = await kb.versions("shipping")
    assert versions[-1]["author"] == "agnes"
    assert versions[-1]["article"]["question_sources"] == ["admin", "admin", "resolved_ticket"]

    result = await kb.search(question)
    assert (result.best.slug, result.best.matched, result.best.matched_kind) == (  # type: ignore[union-attr]
        "shipping",
        question,
        "question",
    )

    # the same question again adds nothing; a later edit keeps the source of the questions that stay
    assert not await kb.add_question("shipping", f"  {question} ", source="admin")
    edited = replace(articles()[1], body="New body.", questions=[question, "Is delivery free?"])
    await kb.save(edited)
    assert (await kb.get("shipping"))["question_sources"] == [
        {"text": question, "source": "resolved_ticket"},
        {"text": "Is delivery free?", "source": "admin"},
    ]

    with pytest.raises(ValidationError):
        await kb.add_question("shipping", "   ")
    with pytest.raises(NotFoundError):
        await kb.add_question("no-such", "Hello?")


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


async def test_listing_filters(kb: KnowledgeBase) -> None:
    await kb.import_articles(
        [*articles(), ArticleData(slug="sv-art", title="Svensk", lang="sv", status="draft")]
    )
    assert [a["slug"] for a in await kb.list_articles(lang="sv")] == ["sv-art"]
    assert [a["slug"] for a in await kb.list_articles(status="draft")] == ["sv-art"]
    assert [a["slug"] for a in await kb.list_articles(tag="payment")] == ["swish"]
    assert [a["slug"] for a in await kb.list_articles(query="SHIP")] == ["shipping"]
    assert len(await kb.list_articles()) == 4


# --- decide ----------------------------------------------------------------------------------------------

RULES = SearchSettings(answer_threshold=0.6, clarify_threshold=0.5, clarify_margin=0.05)


def ranked(*scores: float) -> list[ScoredArticle]:
    return [
        ScoredArticle(
            slug=f"a{i}",
            title=f"A{i}",
            lang="en",
            status="published",
            tags=(),
            score=s,
            dense=s,
            lexical=0.0,
            matched=f"a{i}",
            matched_kind="title",
        )
        for i, s in enumerate(scores)
    ]


@pytest.mark.parametrize(
    ("scores", "decision", "options"),
    [
        ((), "handoff", []),
        ((0.9,), "answer", ["a0"]),
        ((0.8, 0.5), "answer", ["a0"]),
        ((0.8, 0.74), "answer", ["a0"]),  # margin 0.06
        ((0.8, 0.78, 0.3), "clarify", ["a0", "a1"]),
        ((0.8, 0.77, 0.72, 0.71), "clarify", ["a0", "a1", "a2"]),  # at most three, all within 2 margins
        ((0.8, 0.78, 0.65), "clarify", ["a0", "a1"]),  # 0.65 is more than two margins below
        ((0.62, 0.6, 0.49), "clarify", ["a0", "a1"]),
        ((0.58, 0.56), "clarify", ["a0", "a1"]),  # neither is good enough to answer alone
        ((0.55, 0.47), "clarify", ["a0", "a1"]),  # a plausible second within a margin of the bar
        ((0.55, 0.3), "handoff", []),  # between the bars, nothing to offer beside it
        ((0.55,), "handoff", []),
        ((0.65, 0.3), "answer", ["a0"]),
        ((0.49, 0.48, 0.47), "handoff", []),
        ((0.1, 0.05), "handoff", []),
    ],
)
def test_decide(scores: tuple[float, ...], decision: str, options: list[str]) -> None:
    result = decide("q?", ranked(*scores), RULES)
    assert result.decision == decision
    assert [o.slug for o in result.options] == options
    assert result.confidence == (scores[0] if scores else 0.0)
    assert [a.slug for a in result.articles] == [f"a{i}" for i in range(len(scores))]
    assert result.question == "q?"
    data = result.to_json()
    assert data["decision"] == decision
    assert data["options"] == options


def test_decide_boundaries_are_inclusive() -> None:
    rules = SearchSettings(answer_threshold=0.75, clarify_threshold=0.5, clarify_margin=0.25)
    assert decide("q", ranked(0.75, 0.5), rules).decision == "answer"
    assert decide("q", ranked(0.75, 0.5625), rules).decision == "clarify"
    assert decide("q", ranked(0.5), rules).decision == "handoff"
    assert decide("q", ranked(0.5, 0.25), rules).decision == "clarify"
    assert decide("q", ranked(0.5, 0.125), rules).decision == "handoff"


def test_decide_follows_the_settings() -> None:
    scores = ranked(0.7, 0.6)
    raw = {"answer_threshold": 0.6, "clarify_threshold": 0.5}  # raw scores: no calibration passed
    assert decide("q", scores, SearchSettings(**raw, clarify_margin=0.05)).decision == "answer"
    assert decide("q", scores, SearchSettings(**raw, clarify_margin=0.2)).decision == "clarify"
    assert decide("q", scores, SearchSettings(answer_threshold=0.8, clarify_threshold=0.75)).decision == (
        "handoff"
    )


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
