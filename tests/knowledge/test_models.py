"""knowledge/models.py on a migrated SQLite database: an article's questions and versions come in order and
go with it; a gap outlives its article; slugs and (model, text hash) are unique."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from knowledge.models import Article, ArticleVersion, EmbeddingCache, ExampleQuestion, GapQuestion


async def test_questions_and_versions_in_order_and_deleted_with_the_article(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        article = Article(slug="swish", title="Swish")
        article.questions = [ExampleQuestion(text="b", position=1), ExampleQuestion(text="a", position=0)]
        article.versions = [ArticleVersion(version=2, snapshot={}), ArticleVersion(version=1, snapshot={})]
        session.add(article)
        await session.flush()
        session.add(GapQuestion(text="Swish funkar inte", reason="not_helpful", article_id=article.id))
    async with sessions() as session:
        loaded = await session.scalar(
            select(Article).options(selectinload(Article.questions), selectinload(Article.versions))
        )
        assert loaded is not None
        assert [q.text for q in loaded.questions] == ["a", "b"]
        assert [v.version for v in loaded.versions] == [1, 2]
        assert (loaded.lang, loaded.status, loaded.version, loaded.tags) == ("sv", "published", 1, [])
    async with sessions() as session, session.begin():
        await session.delete(await session.get(Article, loaded.id))
    async with sessions() as session:
        for model in (ExampleQuestion, ArticleVersion):
            assert await session.scalar(select(func.count()).select_from(model)) == 0
        gap = await session.scalar(select(GapQuestion))
        assert gap is not None and gap.article_id is None and not gap.handled  # the question stays


@pytest.mark.parametrize(
    "rows",
    [
        [Article(slug="dup", title="A"), Article(slug="dup", title="B")],
        [
            EmbeddingCache(model="m", text_hash="h", dim=2, vector=b"x"),
            EmbeddingCache(model="m", text_hash="h", dim=2, vector=b"y"),
        ],
    ],
    ids=["slug", "embedding"],
)
async def test_unique_keys(sessions: async_sessionmaker[AsyncSession], rows: list[object]) -> None:
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            for row in rows:
                session.add(row)
                await session.flush()
