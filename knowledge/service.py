"""`KnowledgeBase`: the articles, their live search index and the decision, behind one object.

It composes the parts, each in a module of its own: the live index (`live_index.py`), its calibration
(`calibration_service.py`), search (`search.py`), the one door for writes (`writes.py`) and the reads
(`articles.py`). Every write goes through `writes`, which hands what it touched to `changed`: the index
follows by itself and the listeners (other processes, bot/knowledge_sync.py) hear of it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import SearchSettings
from knowledge.articles import ArticleReads
from knowledge.calibration import Calibration
from knowledge.calibration_service import Calibrator
from knowledge.embedder import Embedder
from knowledge.embedding_store import EmbeddingStore
from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.live_index import LiveIndex, Progress
from knowledge.search import Searcher
from knowledge.writes import KnowledgeWrites

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
        # The facade's surface: callers keep one object (the parts hold the logic).
        self.search = self.searcher.search
        self.search_many = self.searcher.search_many
        self.rank = self.searcher.rank
        self.calibrated = self.calibrator.calibrated
        self.recalibrate = self.calibrator.recalibrate
        self.get = self.reads.get
        self.list_articles = self.reads.list_articles
        self.versions = self.reads.versions
        self.export_articles = self.reads.export_articles
        self.import_preview = self.reads.import_preview
        self.summaries = self.reads.summaries
        self.is_empty = self.reads.is_empty
        self.save = self.writes.save
        self.create = self.writes.create
        self.delete = self.writes.delete
        self.add_question = self.writes.add_question
        self.remove_question = self.writes.remove_question
        self.restore = self.writes.restore
        self.import_articles = self.writes.import_articles
        self.record_gap = self.writes.record_gap
        self.mark_gaps_handled = self.writes.mark_gaps_handled
        self.settle_gaps = self.writes.settle_gaps

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
        """These articles were written: index them here, then tell the listeners. The writes in
        `self.writes` call it; a writer outside knowledge/ (the privacy erase, which rewrites learned
        questions inside its own transaction) calls it too."""
        await self.reindex(slugs, progress)
        for listener in list(self._change_listeners):
            try:
                await listener(list(slugs))
            except Exception:  # the write happened and this process's index has it; others catch up later
                log.exception("a knowledge change listener failed")

    async def published(self, slug: str) -> IndexedArticle | None:
        """A published article as indexed now (what customers may be shown), or None."""
        article = self.index.by_slug.get(slug)
        return article if article is not None and article.status == "published" else None

    async def close(self) -> None:
        self.calibrator.close()
