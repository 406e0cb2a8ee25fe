"""`ArticleReads`: the articles as the admin API and the tools read them — one, a filtered list, the
version history, everything for export, a dry run of an import. Nothing here writes."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge import article_view
from knowledge import repository as repo
from knowledge.article_data import ArticleData
from knowledge.models import Article


def _normalised(data: ArticleData) -> ArticleData:
    return replace(data, questions=list(dict.fromkeys(q.strip() for q in data.questions if q.strip())))


class ArticleReads:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def get(self, slug: str) -> dict[str, Any]:
        async with self.sessions() as session:
            return await article_view.describe(session, await repo.get(session, slug))

    async def list_articles(
        self,
        *,
        status: str | None = None,
        lang: str | None = None,
        tag: str | None = None,
        query: str | None = None,
    ) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await repo.all_articles(session)
        groups = article_view.by_group(rows)
        out = []
        for a in rows:
            if (
                (status and a.status != status)
                or (lang and a.lang != lang)
                or (tag and tag not in (a.tags or []))
            ):
                continue
            if query and query.lower() not in f"{a.slug} {a.title}".lower():
                continue
            out.append(article_view.article_json(a, groups[article_view.group_key(a)]))
        return out

    async def summaries(self) -> list[dict[str, Any]]:
        """Every article's slug, title, status, lang and tags, in creation order (no bodies, no questions)."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(Article.slug, Article.title, Article.status, Article.lang, Article.tags).order_by(
                        Article.id
                    )
                )
            ).all()
        return [
            {"slug": slug, "title": title, "status": status, "lang": lang, "tags": list(tags or [])}
            for slug, title, status, lang, tags in rows
        ]

    async def versions(self, slug: str) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = await repo.versions(session, slug)
            return [
                {
                    "version": v.version,
                    "author": v.author,
                    "created_at": v.created_at.isoformat(),
                    "article": v.snapshot,
                }
                for v in rows
            ]

    async def export_articles(self) -> list[ArticleData]:
        async with self.sessions() as session:
            return [repo.to_data(a) for a in await repo.all_articles(session)]

    async def import_preview(self, articles: list[ArticleData]) -> dict[str, list[str]]:
        """What importing `articles` would do, by slug: `{"created", "updated", "unchanged"}`."""
        existing = {a.slug: _normalised(a) for a in await self.export_articles()}
        report: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
        for data in articles:
            old = existing.get(data.slug)
            change = "created" if old is None else "unchanged" if old == _normalised(data) else "updated"
            report[change].append(data.slug)
        return report

    async def is_empty(self) -> bool:
        async with self.sessions() as session:
            return not await repo.all_articles(session)
