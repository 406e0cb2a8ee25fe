"""knowledge/embedding_store.py with the real model on a migrated SQLite database: texts are encoded once,
then read from memory or the database (another process's store encodes nothing); vectors are the model's."""

from __future__ import annotations

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge import Embedder
from knowledge.embedding_store import EmbeddingStore
from knowledge.models import EmbeddingCache
from knowledge.text import text_hash

TEXTS = ["Hur betalar jag med Swish?", "Var är mitt paket?", "Hur betalar jag med Swish?"]


async def test_encoded_once_then_read_back_by_another_store(
    sessions: async_sessionmaker[AsyncSession], thread_embedder: Embedder
) -> None:
    first = EmbeddingStore(sessions, thread_embedder)
    progress: list[int] = []
    vectors = await first.vectors_for(TEXTS, progress.append)
    assert set(vectors) == {text_hash(t) for t in TEXTS} and first.encoded == 2 and progress == [2]
    direct = thread_embedder.encode_sync(TEXTS[:2])
    assert np.abs(vectors[text_hash(TEXTS[0])] - direct[0]).max() < 1e-5

    await first.vectors_for(TEXTS)
    assert first.encoded == 2  # from memory
    second = EmbeddingStore(sessions, thread_embedder)  # another process, same database
    again = await second.vectors_for(TEXTS[:2])
    assert second.encoded == 0
    assert all(np.array_equal(again[h], vectors[h]) for h in again)
    async with sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(EmbeddingCache))
        model = await session.scalar(select(EmbeddingCache.model).limit(1))
    assert rows == 2 and model == thread_embedder.model_id


async def test_uncounted_texts_and_nothing_to_do(
    sessions: async_sessionmaker[AsyncSession], thread_embedder: Embedder
) -> None:
    store = EmbeddingStore(sessions, thread_embedder)
    assert await store.vectors_for([]) == {}
    await store.vectors_for(["kalibrering"], counted=False)
    assert store.encoded == 0 and text_hash("kalibrering") in store.memory
