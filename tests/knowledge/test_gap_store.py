"""`knowledge.gap_store` on a real database: record, the unhandled oldest first (and since a time), mark
handled (teaching the article the new texts once), settle a conversation's gaps."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config import NotFoundError, ValidationError
from infra.db import utcnow
from knowledge import ArticleData, KnowledgeBase, gap_store
from knowledge.models import GapQuestion


async def _record(kb: KnowledgeBase, *gaps: tuple[str, int | None]) -> list[int]:
    async with kb.sessions() as session, session.begin():
        for text, conversation_id in gaps:
            gap_store.record(session, text, "no_answer", conversation_id, "web")
    async with kb.sessions() as session:
        return [g.id for g in await gap_store.unhandled(session)]


async def test_unhandled_are_oldest_first_and_since_filters(kb: KnowledgeBase) -> None:
    ids = await _record(kb, ("first?", None), ("second?", 7))
    async with kb.sessions() as session, session.begin():
        (await session.get(GapQuestion, ids[0])).created_at = utcnow() - timedelta(days=3)  # type: ignore[union-attr]
    async with kb.sessions() as session:
        assert [g.text for g in await gap_store.unhandled(session)] == ["first?", "second?"]
        recent = await gap_store.unhandled(session, utcnow() - timedelta(days=1))
        assert [g.text for g in recent] == ["second?"]


async def test_mark_handled_teaches_each_new_text_once(kb: KnowledgeBase) -> None:
    await kb.save(ArticleData(slug="a", title="A", questions=["known?"]))
    ids = await _record(kb, ("new?", None), ("known?", None), (" new? ", None))
    async with kb.sessions() as session, session.begin():
        learned = await gap_store.mark_handled(session, ids, "a", author="ada")
    assert learned == ["new?"]
    article = await kb.get("a")
    assert article["question_sources"][-1] == {"text": "new?", "source": "gap"}
    async with kb.sessions() as session:
        assert await gap_store.unhandled(session) == []
        rows = [await session.get(GapQuestion, i) for i in ids]
    assert all(r is not None and r.handled and r.article_id is not None for r in rows)


async def test_mark_handled_refuses_unknown_ids_and_articles_before_changing_anything(
    kb: KnowledgeBase,
) -> None:
    ids = await _record(kb, ("q?", None))
    with pytest.raises(ValidationError):
        async with kb.sessions() as session, session.begin():
            await gap_store.mark_handled(session, [*ids, 999_999], None, author=None)
    with pytest.raises(NotFoundError):
        async with kb.sessions() as session, session.begin():
            await gap_store.mark_handled(session, ids, "no-such", author=None)
    async with kb.sessions() as session:
        assert len(await gap_store.unhandled(session)) == 1


async def test_settle_conversation_handles_only_that_conversation(kb: KnowledgeBase) -> None:
    await kb.save(ArticleData(slug="a", title="A"))
    await _record(kb, ("mine?", 1), ("also mine?", 1), ("theirs?", 2))
    async with kb.sessions() as session, session.begin():
        assert await gap_store.settle_conversation(session, 1, "a", None) == 2
    async with kb.sessions() as session:
        assert [g.text for g in await gap_store.unhandled(session)] == ["theirs?"]
        later = utcnow() + timedelta(minutes=1)
    async with kb.sessions() as session, session.begin():
        assert await gap_store.settle_conversation(session, 2, "a", later) == 0  # asked before `since`
