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


async def test_a_misspelt_question_is_searched_as_the_knowledge_base_writes_it(kb: KnowledgeBase) -> None:
    """`search.spelling`: "shiping" and "delivry" are searched as "shipping" and "delivery"; off, as typed."""
    await kb.import_articles(articles())
    searcher = kb.searcher
    assert searcher.spelled(kb.index, "how much is shiping, is delivry free") == (
        "how much is shipping, is delivery free"
    )
    result = await kb.search("how much is shiping, is delivry free")
    assert result.best is not None and result.best.slug == "shipping"
    assert result.question == "how much is shiping, is delivry free"  # the customer's words are kept
    assert result.searched == "how much is shipping, is delivery free"
    searcher.settings = kb.settings.model_copy(update={"spelling": False})
    assert searcher.spelled(kb.index, "how much is shiping") == "how much is shiping"
