"""`KnowledgeBase`: the articles, their live search index and the decision, behind one object.

It composes the parts, each in a module of its own: the live index (`live_index.py`), its calibration
(`calibration_service.py`), search (`search.py`), the one door for writes (`writes.py`) and the reads
(`reads.py`). Every write goes through `writes`, which hands what it touched to `changed`: the index
follows by itself and the listeners (other processes, bot/knowledge_sync.py) hear of it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import SearchSettings
from knowledge.article_data import ArticleData
from knowledge.calibration import Calibration
from knowledge.calibration_service import Calibrator
from knowledge.decision import SearchResult
from knowledge.embedder import Embedder
from knowledge.embedding_store import EmbeddingStore
from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.live_index import LiveIndex, Progress
from knowledge.reads import ArticleReads
from knowledge.search import AUTO, Searcher
from knowledge.writes import ImportReport, KnowledgeWrites

log = logging.getLogger(__name__)
ChangeListener = Callable[[list[str]], Awaitable[None]]


class KnowledgeBase:
    """Owns the search index; every write goes through here so the index stays current."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        embedder: Embedder,
        settings: SearchSettings,
        second: Embedder | None = None,
    ) -> None:
        """`second`: the model whose opinion English questions also get (`model.english`,
        knowledge/ensemble.py); it keeps an index of its own over the same articles."""
        self.sessions = sessions
        self.embedder = embedder
        self.settings = settings
        self.second = second
        self.live = LiveIndex(sessions, embedder, settings, second)
        self.calibrator = Calibrator(self.live, settings)
        self.searcher = Searcher(self.live, self.calibrator, settings)
        self.writes = KnowledgeWrites(sessions, self.changed, self.calibrator.calibrated)
        self.reads = ArticleReads(sessions)
        self._change_listeners: list[ChangeListener] = []

    @property
    def index(self) -> SearchIndex:
        return self.live.index

    @property
    def second_index(self) -> SearchIndex | None:
        return self.live.second_index

    @property
    def store(self) -> EmbeddingStore:
        return self.live.store

    @property
    def second_store(self) -> EmbeddingStore | None:
        return self.live.second_store

    @property
    def calibration(self) -> Calibration | None:
        return self.calibrator.calibration

    async def refresh(self, progress: Progress | None = None) -> None:
        """Load the index from the database (at start); only texts not in the cache are encoded. Returns
        when the new index's confidence is calibrated too."""
        await self.live.load(progress)
        await self.calibrator.recalibrate()

    async def reindex(self, slugs: Sequence[str], progress: Progress | None = None) -> None:
        """Another process wrote these articles: bring this index's part of them up to date."""
        await self.live.reindex(slugs, progress)
        self.calibrator.recalibrate_soon()

    def on_change(self, listener: ChangeListener) -> Callable[[], None]:
        """Call `listener(slugs)` after each write through this object has been indexed (other processes
        of a deployment use it to `reindex` the same slugs); returns the function that removes it."""
        self._change_listeners.append(listener)

        def remove() -> None:
            if listener in self._change_listeners:
                self._change_listeners.remove(listener)

        return remove

    async def changed(self, slugs: Sequence[str], progress: Progress | None = None) -> None:
        """These articles were written: index them here, then tell the listeners. Only the writes in
        `self.writes` call it (after their transaction committed)."""
        await self.reindex(slugs, progress)
        for listener in list(self._change_listeners):
            try:
                await listener(list(slugs))
            except Exception:  # the write happened and this process's index has it; others catch up later
                log.exception("a knowledge change listener failed")

    # -- search (knowledge/search.py) --------------------------------------------------------------
    async def search(
        self,
        question: str,
        *,
        lang: str | None = None,
        said: str | None = AUTO,
        include_drafts: bool = False,
        limit: int | None = None,
    ) -> SearchResult:
        """See `Searcher.search`."""
        return await self.searcher.search(
            question, lang=lang, said=said, include_drafts=include_drafts, limit=limit
        )

    def spelled(self, question: str) -> str:
        """`question` as the search reads it (`Searcher.spelled`: misspelt words put right)."""
        return self.searcher.spelled(self.live.index, question)

    async def search_many(self, questions: list[str], *, include_drafts: bool = False) -> list[SearchResult]:
        """See `Searcher.search_many`."""
        return await self.searcher.search_many(questions, include_drafts=include_drafts)

    async def get(self, slug: str) -> dict[str, Any]:
        """See `ArticleReads.get`."""
        return await self.reads.get(slug)

    async def list_articles(
        self,
        *,
        status: str | None = None,
        lang: str | None = None,
        tag: str | None = None,
        query: str | None = None,
    ) -> list[dict[str, Any]]:
        """See `ArticleReads.list_articles`."""
        return await self.reads.list_articles(status=status, lang=lang, tag=tag, query=query)

    async def summaries(self) -> list[dict[str, Any]]:
        """See `ArticleReads.summaries`."""
        return await self.reads.summaries()

    async def versions(self, slug: str) -> list[dict[str, Any]]:
        """See `ArticleReads.versions`."""
        return await self.reads.versions(slug)

    async def export_articles(self) -> list[ArticleData]:
        """See `ArticleReads.export_articles`."""
        return await self.reads.export_articles()

    async def import_preview(self, articles: list[ArticleData]) -> dict[str, list[str]]:
        """See `ArticleReads.import_preview`."""
        return await self.reads.import_preview(articles)

    async def is_empty(self) -> bool:
        """See `ArticleReads.is_empty`."""
        return await self.reads.is_empty()

    # -- writes: the one door (knowledge/writes.py) ------------------------------------------------
    async def save(self, data: ArticleData, *, author: str | None = None) -> tuple[dict[str, Any], str]:
        """See `KnowledgeWrites.save`."""
        return await self.writes.save(data, author=author)

    async def create(self, data: ArticleData, *, author: str | None = None) -> dict[str, Any]:
        """See `KnowledgeWrites.create`."""
        return await self.writes.create(data, author=author)

    async def delete(self, slug: str) -> None:
        """See `KnowledgeWrites.delete`."""
        return await self.writes.delete(slug)

    async def add_question(
        self, slug: str, text: str, *, source: str = "admin", author: str | None = None
    ) -> bool:
        """See `KnowledgeWrites.add_question`."""
        return await self.writes.add_question(slug, text, source=source, author=author)

    async def remove_question(self, slug: str, text: str, *, author: str | None = None) -> dict[str, Any]:
        """See `KnowledgeWrites.remove_question`."""
        return await self.writes.remove_question(slug, text, author=author)

    async def restore(self, slug: str, version: int, *, author: str | None = None) -> dict[str, Any]:
        """See `KnowledgeWrites.restore`."""
        return await self.writes.restore(slug, version, author=author)

    async def import_articles(
        self,
        articles: list[ArticleData],
        *,
        author: str | None = None,
        progress: Progress | None = None,
        embed_progress: Progress | None = None,
    ) -> ImportReport:
        """See `KnowledgeWrites.import_articles`."""
        return await self.writes.import_articles(
            articles, author=author, progress=progress, embed_progress=embed_progress
        )

    async def record_gap(
        self, question: str, reason: str, conversation_id: int | None = None, channel: str | None = None
    ) -> None:
        """See `KnowledgeWrites.record_gap`."""
        return await self.writes.record_gap(question, reason, conversation_id, channel)

    async def mark_gaps_handled(
        self, ids: Sequence[int], article_slug: str | None = None, *, author: str | None = None
    ) -> dict[str, Any]:
        """See `KnowledgeWrites.mark_gaps_handled`."""
        return await self.writes.mark_gaps_handled(ids, article_slug, author=author)

    async def settle_gaps(
        self, conversation_id: int, article_slug: str, *, since: datetime | None = None
    ) -> int:
        """See `KnowledgeWrites.settle_gaps`."""
        return await self.writes.settle_gaps(conversation_id, article_slug, since=since)

    async def published(self, slug: str) -> IndexedArticle | None:
        """A published article as indexed now (what customers may be shown), or None."""
        article = self.index.by_slug.get(slug)
        return article if article is not None and article.status == "published" else None

    async def calibrated(self) -> None:
        """Wait for a background calibration (tests, tools)."""
        await self.calibrator.calibrated()

    async def close(self) -> None:
        self.calibrator.close()
