"""Articles in the database: upsert with a version per change, example questions, history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from config import ConflictError, NotFoundError, ValidationError
from infra.db import utcnow
from knowledge.article_data import ArticleData
from knowledge.index_blocks import IndexedArticle
from knowledge.models import Article, ArticleVersion, ExampleQuestion

Change = Literal["created", "updated", "unchanged"]


def to_data(article: Article) -> ArticleData:
    return ArticleData(
        slug=article.slug,
        title=article.title,
        lang=article.lang,
        tags=list(article.tags or []),
        status=article.status,
        body=article.body,
        questions=[q.text for q in article.questions],
        translation_of=article.translation_of,
    )


def to_indexed(article: Article) -> IndexedArticle:
    # `translation_of` is stored resolved to the root, so `IndexedArticle.of` gives the group's root slug.
    return IndexedArticle.of(to_data(article))


def _snapshot(article: Article) -> dict[str, Any]:
    snap = to_data(article).to_dict()
    snap["question_sources"] = [q.source for q in article.questions]
    return snap


async def all_articles(session: AsyncSession) -> list[Article]:
    rows = await session.scalars(
        select(Article).options(selectinload(Article.questions)).order_by(Article.id)
    )
    return list(rows)


async def articles_by_slug(session: AsyncSession, slugs: list[str]) -> list[Article]:
    if not slugs:
        return []
    rows = await session.scalars(
        select(Article)
        .options(selectinload(Article.questions))
        .where(Article.slug.in_(slugs))
        .order_by(Article.id)
    )
    return list(rows)


def regrouped(session: AsyncSession) -> set[str]:
    """Slugs of other articles whose group a write in this session changed (they need re-indexing)."""
    found: set[str] = session.info.setdefault("kundresa.regrouped", set())
    return found


async def find(session: AsyncSession, slug: str) -> Article | None:
    return await session.scalar(
        select(Article).where(Article.slug == slug).options(selectinload(Article.questions))
    )


async def get(session: AsyncSession, slug: str) -> Article:
    article = await find(session, slug)
    if article is None:
        raise NotFoundError(f"no article with slug {slug!r}")
    return article


async def upsert(
    session: AsyncSession,
    data: ArticleData,
    *,
    author: str | None = None,
    question_source: str = "admin",
    sources: dict[str, str] | None = None,
    pending: Mapping[str, str | None] | None = None,
) -> tuple[Article, Change]:
    """Create or update by slug; keeps the source of questions that stay; records a version.

    `sources` names the source of particular questions (a restore brings back where each came from).
    `translation_of` is stored as the root of its group (see `resolve_root`; `pending`: the
    `translation_of` of the other articles of the same import, which may not be saved yet). An article
    that had language versions and becomes a version of another article takes them along into that group.
    """
    data = replace(data, questions=_dedupe(data.questions))
    if data.translation_of is not None:
        data = replace(data, translation_of=await resolve_root(session, data, pending or {}))
    sources = sources or {}
    article = await find(session, data.slug)
    if article is None:
        article = Article(
            slug=data.slug,
            title=data.title,
            lang=data.lang,
            translation_of=data.translation_of,
            tags=list(data.tags),
            status=data.status,
            body=data.body,
            version=1,
        )
        article.questions = [
            ExampleQuestion(text=q, source=sources.get(q, question_source), position=i)
            for i, q in enumerate(data.questions)
        ]
        session.add(article)
        await session.flush()
        session.add(
            ArticleVersion(article_id=article.id, version=1, snapshot=_snapshot(article), author=author)
        )
        return article, "created"
    if to_data(article) == data:
        return article, "unchanged"
    article.title, article.lang, article.status, article.body = data.title, data.lang, data.status, data.body
    article.tags = list(data.tags)
    article.translation_of = data.translation_of
    old = {q.text: q for q in article.questions}
    questions = []
    for i, text in enumerate(data.questions):
        q = old.pop(text, None) or ExampleQuestion(text=text, source=question_source)
        if text in sources:
            q.source = sources[text]
        q.position = i
        questions.append(q)
    article.questions = questions
    article.version += 1
    article.updated_at = utcnow()
    await session.flush()
    session.add(
        ArticleVersion(
            article_id=article.id, version=article.version, snapshot=_snapshot(article), author=author
        )
    )
    if data.translation_of is not None:
        await _regroup(session, data.slug, data.translation_of, author, skip=set(pending or ()))
    return article, "updated"


async def resolve_root(
    session: AsyncSession, data: ArticleData, pending: Mapping[str, str | None] | None = None
) -> str | None:
    """The root slug of the group `data.translation_of` names: a version of a version belongs to the
    first one's group. `pending` (slug -> translation_of) overrides the database for articles being
    imported together. Raises `ValidationError` for a missing target or a loop."""
    pending = pending or {}
    chain = [data.slug]
    target = data.translation_of
    while target is not None:
        if target in chain:
            loop = " -> ".join([*chain, target])
            raise ValidationError(
                f"translation_of of {data.slug!r} makes a loop ({loop}): a group has one main article; "
                f"clear translation_of on the one that should be the main version"
            )
        if target in pending:
            following = pending[target]
        else:
            row = (
                await session.execute(select(Article.translation_of).where(Article.slug == target))
            ).first()
            if row is None:
                raise ValidationError(
                    f"translation_of of {data.slug!r} names {target!r}, which is no article: create "
                    f"{target!r} first (or import it in the same file), or correct the slug"
                )
            following = row[0]
        chain.append(target)
        if following is None:
            return target
        target = following
    return None


async def _regroup(
    session: AsyncSession, old: str, new: str | None, author: str | None, skip: Iterable[str] = ()
) -> None:
    """The language versions of `old` (a former root) join `new`'s group, or become their own group
    around the oldest of them when `new` is None (the root is deleted); each gets a version."""
    rows = await session.scalars(
        select(Article)
        .where(Article.translation_of == old, Article.slug.not_in(list(skip)))
        .options(selectinload(Article.questions))
        .order_by(Article.id)
    )
    versions = list(rows)
    for i, member in enumerate(versions):
        root = new if new is not None else (None if i == 0 else versions[0].slug)
        await upsert(session, replace(to_data(member), translation_of=root), author=author)
        regrouped(session).add(member.slug)


async def create(session: AsyncSession, data: ArticleData, *, author: str | None = None) -> Article:
    """Create only: an existing slug is a conflict (the unique index settles races)."""
    if await find(session, data.slug) is not None:
        raise ConflictError(
            f"an article with slug {data.slug!r} exists; PUT /api/articles/{data.slug} to edit it"
        )
    article, _ = await upsert(session, data, author=author)
    return article


async def add_question(
    session: AsyncSession, slug: str, text: str, *, source: str, author: str | None = None
) -> tuple[Article, bool]:
    text = text.strip()
    if not text:
        raise ValidationError("an example question cannot be empty")
    article = await get(session, slug)
    data = to_data(article)
    if text in data.questions:
        return article, False
    data.questions.append(text)
    article, _ = await upsert(session, data, author=author, question_source=source)
    return article, True


async def delete(session: AsyncSession, slug: str, *, author: str | None = None) -> None:
    """Delete; language versions of a deleted main article stay a group around the oldest of them."""
    article = await get(session, slug)
    await session.delete(article)
    await session.flush()
    if article.translation_of is None:
        await _regroup(session, slug, None, author)


async def versions(session: AsyncSession, slug: str) -> list[ArticleVersion]:
    article = await get(session, slug)
    rows = await session.scalars(
        select(ArticleVersion).where(ArticleVersion.article_id == article.id).order_by(ArticleVersion.version)
    )
    return list(rows)


async def restore(session: AsyncSession, slug: str, version: int, *, author: str | None = None) -> Article:
    """Make an old version current again, as a new version."""
    for v in await versions(session, slug):
        if v.version == version:
            snap = dict(v.snapshot)
            sources = snap.pop("question_sources", [])
            data = ArticleData.from_dict(snap)
            by_text = dict(zip(data.questions, sources, strict=False))
            article, _ = await upsert(session, data, author=author, sources=by_text)
            return article
    raise NotFoundError(f"article {slug!r} has no version {version}")


def _dedupe(questions: list[str]) -> list[str]:
    return list(dict.fromkeys(q.strip() for q in questions if q.strip()))
