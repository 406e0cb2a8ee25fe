"""An article as the admin API shows it: its fields, version and dates, where each example question came
from, and its language versions (the other members of its group)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import Article
from knowledge.repository import to_data


def group_key(article: Article) -> str:
    """Language versions of one article share this key: the root's slug."""
    return article.translation_of or article.slug


def by_group(articles: Iterable[Article]) -> dict[str, list[Article]]:
    groups: dict[str, list[Article]] = {}
    for a in articles:
        groups.setdefault(group_key(a), []).append(a)
    return groups


def article_json(article: Article, group: Sequence[Article] = ()) -> dict[str, Any]:
    """The article for the API; `group`: its language versions (it may be among them), from `members`."""
    data = to_data(article).to_dict()
    data.update(
        translations=[
            {"slug": m.slug, "lang": m.lang, "title": m.title, "status": m.status}
            for m in sorted(group, key=lambda m: (m.translation_of is not None, m.lang, m.slug))
            if m.id != article.id
        ],
        version=article.version,
        created_at=article.created_at.isoformat(),
        updated_at=article.updated_at.isoformat(),
        question_sources=[{"text": q.text, "source": q.source} for q in article.questions],
    )
    return data


async def members(session: AsyncSession, article: Article) -> list[Article]:
    """Every language version of `article`'s group, itself included."""
    key = group_key(article)
    rows = await session.scalars(
        select(Article).where((Article.slug == key) | (Article.translation_of == key)).order_by(Article.id)
    )
    return list(rows)


async def describe(session: AsyncSession, article: Article) -> dict[str, Any]:
    """`article_json` with the article's language versions."""
    return article_json(article, await members(session, article))
