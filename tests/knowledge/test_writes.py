"""`KnowledgeWrites`, the one door for writes (through a real `KnowledgeBase` on SQLite): import reports,
deletes, example questions, gap handling (versions and restore: test_repository.py) — and for every write
path, that the index reflects it with no further call and the change listeners hear of it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy.exc import IntegrityError

from config import NotFoundError, ValidationError
from knowledge import ArticleData, KnowledgeBase, gap_store
from tests.knowledge.sample_articles import articles, top

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


# --- every write path: the index follows by itself, the listeners hear of it -------------------------------


class Heard:
    """Records what `KnowledgeBase.on_change` listeners are told."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.slugs: list[list[str]] = []
        kb.on_change(self.listen)

    async def listen(self, slugs: list[str]) -> None:
        self.slugs.append(sorted(slugs))


def indexed_questions(kb: KnowledgeBase, slug: str) -> tuple[str, ...] | None:
    article = kb.index.by_slug.get(slug)
    return article.questions if article is not None else None


async def test_import_is_indexed_and_announced(kb: KnowledgeBase) -> None:
    heard = Heard(kb)
    await kb.import_articles(articles())
    assert sorted(kb.index.by_slug) == ["returns", "shipping", "swish"]
    assert heard.slugs == [["returns", "shipping", "swish"]]
    await kb.import_articles(articles())  # unchanged: nothing to index, nothing to announce
    assert len(heard.slugs) == 1


async def test_create_is_indexed_and_announced(kb: KnowledgeBase) -> None:
    heard = Heard(kb)
    await kb.create(ArticleData(slug="gift", title="Gift cards", lang="en", questions=["Gift card?"]))
    assert indexed_questions(kb, "gift") == ("Gift card?",)
    assert await top(kb, "Gift card?") == "gift"
    assert heard.slugs == [["gift"]]


async def test_save_is_indexed_and_announced(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    heard = Heard(kb)
    _, change = await kb.save(replace(articles()[2], questions=["Can I send back a sofa?"]))
    assert change == "updated"
    assert indexed_questions(kb, "returns") == ("Can I send back a sofa?",)
    assert heard.slugs == [["returns"]]
    _, change = await kb.save(replace(articles()[2], questions=["Can I send back a sofa?"]))
    assert change == "unchanged" and len(heard.slugs) == 1


async def test_delete_is_indexed_and_announced(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    heard = Heard(kb)
    await kb.delete("returns")
    assert "returns" not in kb.index.by_slug
    assert heard.slugs == [["returns"]]


async def test_added_question_is_indexed_and_announced(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    heard = Heard(kb)
    assert await kb.add_question("returns", "Can I return a sofa?", source="resolved_ticket")
    assert indexed_questions(kb, "returns") == (*articles()[2].questions, "Can I return a sofa?")
    assert heard.slugs == [["returns"]]
    assert not await kb.add_question("returns", "Can I return a sofa?")  # had it: no change
    assert len(heard.slugs) == 1


async def test_removed_question_is_indexed_and_announced(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    heard = Heard(kb)
    await kb.add_question("returns", "Can I return a sofa?", source="resolved_ticket")
    article = await kb.remove_question("returns", " Can I return my order? ", author="ada")
    assert article["questions"] == ["How do I send something back?", "Can I return a sofa?"]
    assert article["question_sources"][1] == {"text": "Can I return a sofa?", "source": "resolved_ticket"}
    assert indexed_questions(kb, "returns") == ("How do I send something back?", "Can I return a sofa?")
    assert heard.slugs == [["returns"], ["returns"]]
    assert (await kb.versions("returns"))[-1]["author"] == "ada"
    with pytest.raises(NotFoundError):
        await kb.remove_question("returns", "Can I return my order?")
    with pytest.raises(NotFoundError):
        await kb.remove_question("no-such", "Hello?")
    assert len(heard.slugs) == 2


async def test_restore_is_indexed_and_announced(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    await kb.save(replace(articles()[2], questions=["Return?"]))
    heard = Heard(kb)
    await kb.restore("returns", 1)
    assert indexed_questions(kb, "returns") == tuple(articles()[2].questions)
    assert heard.slugs == [["returns"]]


async def test_gaps_handled_into_an_article_are_indexed_and_announced(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    heard = Heard(kb)
    await kb.record_gap("Can I return a sofa after 40 days?", "no_answer", channel="web")
    await kb.record_gap("  ", "no_answer")
    async with kb.sessions() as session:
        ids = [g.id for g in await gap_store.unhandled(session)]
    assert len(ids) == 2 and heard.slugs == []  # a gap alone changes no article
    result = await kb.mark_gaps_handled(ids, "returns", author="ada")
    assert result == {"handled": 2, "article": "returns", "learned": ["Can I return a sofa after 40 days?"]}
    learned = "Can I return a sofa after 40 days?"
    assert indexed_questions(kb, "returns") == (*articles()[2].questions, learned)
    assert heard.slugs == [["returns"]]
    async with kb.sessions() as session:
        assert await gap_store.unhandled(session) == []
    with pytest.raises(ValidationError):
        await kb.mark_gaps_handled([999_999])
    with pytest.raises(NotFoundError):
        await kb.mark_gaps_handled(ids, "no-such")


async def test_settled_gaps_leave_the_report_and_the_index_alone(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    heard = Heard(kb)
    await kb.record_gap("Where is my sofa?", "no_answer", conversation_id=None)
    async with kb.sessions() as session:
        assert len(await gap_store.unhandled(session)) == 1
    index = kb.index
    assert await kb.settle_gaps(12345, "returns") == 0  # another conversation's gaps stay
    assert kb.index is index and heard.slugs == []
    with pytest.raises(NotFoundError):
        await kb.settle_gaps(12345, "no-such")


async def test_a_failing_listener_does_not_undo_the_write(kb: KnowledgeBase) -> None:
    async def broken(_slugs: list[str]) -> None:
        raise RuntimeError("the bus is away")

    remove = kb.on_change(broken)
    await kb.create(ArticleData(slug="gift", title="Gift cards", lang="en", questions=["Gift card?"]))
    assert "gift" in kb.index.by_slug
    remove()


async def test_learned_examples_rewritten_in_a_shared_transaction_are_indexed_after_commit(
    kb: KnowledgeBase,
) -> None:
    await kb.import_articles(articles())
    await kb.add_question("returns", "Can I return a sofa, Bergqvist here?", source="resolved_ticket")
    await kb.add_question("shipping", "Parcel to Storgatan 5?", source="gap")
    heard = Heard(kb)
    async with kb.writes.transaction() as scope:
        found = await scope.learned_examples(
            ["Can I return a sofa, Bergqvist here?", "Parcel to Storgatan 5?", "How much is shipping?"]
        )
        # only learned questions are found: the admin's own "How much is shipping?" is not
        assert [(q.slug, q.source) for q in found] == [("returns", "resolved_ticket"), ("shipping", "gap")]
        plan = {found[0].id: "Can I return a sofa?", found[1].id: None}
        changes = await scope.rewrite_examples(plan)
        assert (changes.kept, changes.removed, changes.slugs) == (1, 1, {"returns", "shipping"})
        assert heard.slugs == []  # not before the commit
    assert heard.slugs == [["returns", "shipping"]]
    assert indexed_questions(kb, "returns")[-1] == "Can I return a sofa?"
    assert "Parcel to Storgatan 5?" not in indexed_questions(kb, "shipping")
    # the stored versions forgot the learned texts too
    for slug in ("returns", "shipping"):
        for version in await kb.versions(slug):
            assert "Bergqvist" not in str(version) and "Storgatan" not in str(version)


async def test_a_shared_transaction_that_fails_writes_nothing_and_indexes_nothing(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())
    await kb.add_question("returns", "Learned from a customer?", source="resolved_ticket")
    heard = Heard(kb)
    with pytest.raises(RuntimeError):
        async with kb.writes.transaction() as scope:
            (found,) = await scope.learned_examples(["Learned from a customer?"])
            await scope.rewrite_examples({found.id: None})
            raise RuntimeError("the caller's own write failed")
    assert heard.slugs == []
    assert (await kb.get("returns"))["questions"][-1] == "Learned from a customer?"
    assert indexed_questions(kb, "returns")[-1] == "Learned from a customer?"
