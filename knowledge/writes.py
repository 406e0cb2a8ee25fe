"""`KnowledgeWrites`: the one door for writes to articles, their example questions and versions, and gap
questions. Each write commits, then hands the slugs it touched to `changed` (the `KnowledgeBase` reindexes
them and tells its listeners), so no caller has to remember to refresh the index."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import ConflictError, NotFoundError
from knowledge import article_view, gap_store
from knowledge import learned_examples as learned
from knowledge import repository as repo
from knowledge.article_data import ArticleData

Progress = Callable[[int], None]


class Changed(Protocol):
    async def __call__(self, slugs: Sequence[str], progress: Progress | None = None) -> None: ...


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


class KnowledgeTransaction:
    """Knowledge writes inside a caller's transaction (`KnowledgeWrites.transaction`); it remembers the
    articles they touched, which are indexed once the caller's transaction has committed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.touched: set[str] = set()

    async def learned_examples(self, texts: Iterable[str]) -> list[learned.LearnedExample]:
        """Example questions learned from customers whose text is one of `texts`."""
        return await learned.find(self.session, texts)

    async def rewrite_examples(
        self, plan: Mapping[int, str | None], *, dry_run: bool = False
    ) -> learned.ExampleChanges:
        """Remove (None) or rewrite example questions by id, in the articles and their stored versions."""
        changes = await learned.rewrite(self.session, plan, dry_run=dry_run)
        if not dry_run:
            self.touched |= changes.slugs
        return changes


class KnowledgeWrites:
    """Every write in one transaction; the index follows after the commit (`changed`)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        changed: Changed,
        calibrated: Callable[[], Awaitable[None]],
    ) -> None:
        self.sessions = sessions
        self._changed = changed
        self._calibrated = calibrated

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[KnowledgeTransaction]:
        """One transaction shared with the caller's own writes (the privacy erase deletes a customer and
        what was learned from them atomically); the articles its knowledge writes touched are indexed
        after it commits, and not at all when it rolls back."""
        async with self.sessions() as session, session.begin():
            scope = KnowledgeTransaction(session)
            yield scope
        if scope.touched:
            await self._changed(sorted(scope.touched))

    async def save(self, data: ArticleData, *, author: str | None = None) -> tuple[dict[str, Any], str]:
        """Create or update by slug; returns the article and "created", "updated" or "unchanged"."""
        async with self.sessions() as session, session.begin():
            article, change = await repo.upsert(session, data, author=author)
            result = await article_view.describe(session, article)
        if change != "unchanged":
            await self._changed([data.slug, *repo.regrouped(session)])
        return result, change

    async def create(self, data: ArticleData, *, author: str | None = None) -> dict[str, Any]:
        """Create a new article; `ConflictError` when the slug exists."""
        try:
            async with self.sessions() as session, session.begin():
                result = await article_view.describe(session, await repo.create(session, data, author=author))
        except IntegrityError as exc:  # another request created it between our check and insert
            raise ConflictError(f"an article with slug {data.slug!r} exists") from exc
        await self._changed([data.slug])
        return result

    async def delete(self, slug: str) -> None:
        async with self.sessions() as session, session.begin():
            await repo.delete(session, slug)
        await self._changed([slug, *repo.regrouped(session)])

    async def add_question(
        self, slug: str, text: str, *, source: str = "admin", author: str | None = None
    ) -> bool:
        """Add one example question (a new version); False when the article has it already."""
        async with self.sessions() as session, session.begin():
            _, added = await repo.add_question(session, slug, text, source=source, author=author)
        if added:
            await self._changed([slug])
        return added

    async def remove_question(self, slug: str, text: str, *, author: str | None = None) -> dict[str, Any]:
        """Remove one example question (a new version; the others keep their source); returns the article.
        `NotFoundError` when the article has no such question."""
        text = text.strip()
        async with self.sessions() as session, session.begin():
            data = repo.to_data(await repo.get(session, slug))
            if text not in data.questions:
                raise NotFoundError(f"article {slug!r} has no example question {text!r}")
            data.questions = [q for q in data.questions if q != text]
            article, _ = await repo.upsert(session, data, author=author)
            result = await article_view.describe(session, article)
        await self._changed([slug])
        return result

    async def restore(self, slug: str, version: int, *, author: str | None = None) -> dict[str, Any]:
        """Make an old version current again, as a new version."""
        async with self.sessions() as session, session.begin():
            article = await repo.restore(session, slug, version, author=author)
            result = await article_view.describe(session, article)
        await self._changed([slug, *repo.regrouped(session)])
        return result

    async def import_articles(
        self,
        articles: list[ArticleData],
        *,
        author: str | None = None,
        progress: Progress | None = None,
        embed_progress: Progress | None = None,
    ) -> ImportReport:
        """Upsert all in one transaction: a failure leaves nothing half-imported. Returns when the index
        and its calibration include them."""
        report = ImportReport()
        pending = {a.slug: a.translation_of for a in articles}  # a target may come later in the file
        async with self.sessions() as session, session.begin():
            for data in articles:
                _, change = await repo.upsert(session, data, author=author, pending=pending)
                getattr(report, change).append(data.slug)
                if progress:
                    progress(1)
        if report.created or report.updated:
            regrouped = repo.regrouped(session) - {*report.created, *report.updated}
            await self._changed([*report.created, *report.updated, *regrouped], embed_progress)
            await self._calibrated()
        return report

    async def record_gap(
        self, question: str, reason: str, conversation_id: int | None = None, channel: str | None = None
    ) -> None:
        """Remember a question the bot could not answer, or whose answer did not help."""
        async with self.sessions() as session, session.begin():
            gap_store.record(session, question, reason, conversation_id, channel)

    async def mark_gaps_handled(
        self, ids: Sequence[int], article_slug: str | None = None, *, author: str | None = None
    ) -> dict[str, Any]:
        """Mark gap questions handled; with an article, their texts become its example questions.

        All in one transaction and one new article version (source "gap"); an unknown article is a 404
        before anything changes. Returns `{"handled": n, "article": slug, "learned": [texts added]}`.
        """
        async with self.sessions() as session, session.begin():
            learned = await gap_store.mark_handled(session, ids, article_slug, author=author)
        if learned and article_slug:
            await self._changed([article_slug])
        return {"handled": len({int(i) for i in ids}), "article": article_slug, "learned": learned}

    async def settle_gaps(
        self, conversation_id: int, article_slug: str, *, since: datetime | None = None
    ) -> int:
        """An agent resolved this conversation's handoff with `article_slug`: its unhandled gap questions
        (asked from `since` on, e.g. the ticket's start less a margin) are handled by that article, so the gap
        report stops listing them. The resolve itself teaches the article the ticket's question; these are
        not added as example questions (an earlier, different question may have led there). How many."""
        async with self.sessions() as session, session.begin():
            return await gap_store.settle_conversation(session, conversation_id, article_slug, since)
