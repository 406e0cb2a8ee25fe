"""`LiveIndex`: the search index (and the second model's) built from the articles in the database, kept
current article by article."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import SearchSettings
from knowledge import repository as repo
from knowledge.embedder import Embedder
from knowledge.embedding_store import EmbeddingStore
from knowledge.ensemble import SECOND_FUSION
from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import Fusion

Progress = Callable[[int], None]


class LiveIndex:
    """The current `index` (and `second_index`), swapped whole on each change so a search in flight keeps
    the one it started with; one rebuild at a time."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        embedder: Embedder,
        settings: SearchSettings,
        second: Embedder | None = None,
    ) -> None:
        self.sessions = sessions
        self.embedder = embedder
        self.store = EmbeddingStore(sessions, embedder)
        self.fusion = Fusion.of(settings)
        self.index = SearchIndex([], 0, self.fusion, embedder.prefixes)
        self.second = second
        self.second_store = EmbeddingStore(sessions, second) if second is not None else None
        self.second_index = SearchIndex([], 0, SECOND_FUSION, second.prefixes) if second else None
        self._rebuild = asyncio.Lock()

    async def load(self, progress: Progress | None = None) -> None:
        """Rebuild from every article in the database; only texts not in the cache are encoded."""
        async with self._rebuild:
            async with self.sessions() as session:
                articles = [repo.to_indexed(a) for a in await repo.all_articles(session)]
            await self._build(articles, progress)

    async def _build(self, articles: Sequence[IndexedArticle], progress: Progress | None = None) -> None:
        prefixes = self.embedder.prefixes
        vectors = await self.store.vectors_for(SearchIndex.texts_of(articles, prefixes), progress)
        loop = asyncio.get_running_loop()
        self.index = await loop.run_in_executor(
            None, SearchIndex.build, list(articles), vectors, self.embedder.dim, self.fusion, prefixes
        )
        if self.second is not None and self.second_store is not None:
            p2 = self.second.prefixes
            vectors = await self.second_store.vectors_for(SearchIndex.texts_of(articles, p2))
            self.second_index = await loop.run_in_executor(
                None, SearchIndex.build, list(articles), vectors, self.second.dim, SECOND_FUSION, p2
            )

    async def reindex(self, slugs: Sequence[str], progress: Progress | None = None) -> None:
        """Bring these articles' part of the index up to date (changed, new or deleted), leaving every
        other article's part as it is: only their texts are read, embedded (if new) and counted."""
        async with self._rebuild:
            async with self.sessions() as session:
                rows = await repo.articles_by_slug(session, list(slugs))
            fresh = [repo.to_indexed(a) for a in rows]
            gone = set(slugs) - {a.slug for a in fresh}
            texts = SearchIndex.texts_of(fresh, self.embedder.prefixes)
            vectors = await self.store.vectors_for(texts, progress)
            index = self.index
            if not index.dim:  # nothing indexed yet: the first article fixes the dimension
                index = SearchIndex([], self.embedder.dim, self.fusion, self.embedder.prefixes)
            loop = asyncio.get_running_loop()
            self.index = await loop.run_in_executor(None, index.replace, gone, fresh, vectors)
            if self.second is not None and self.second_store is not None and self.second_index is not None:
                second = self.second_index
                if not second.dim:
                    second = SearchIndex([], self.second.dim, SECOND_FUSION, self.second.prefixes)
                texts = SearchIndex.texts_of(fresh, self.second.prefixes)
                vectors = await self.second_store.vectors_for(texts)
                self.second_index = await loop.run_in_executor(None, second.replace, gone, fresh, vectors)
