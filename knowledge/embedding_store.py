"""Embedding cache in the database, keyed by (model, sha256 of text)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge.embedder import Embedder
from knowledge.models import EmbeddingCache
from knowledge.text import text_hash

_CHUNK = 500  # keeps IN (...) lists well under SQLite's parameter limit


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on the cache's unique (model, text_hash), on either database."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(EmbeddingCache).on_conflict_do_nothing(index_elements=["model", "text_hash"])


class EmbeddingStore:
    """Vectors for texts: memory first, then the database, then the model (and stored back)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], embedder: Embedder) -> None:
        self.sessions = sessions
        self.embedder = embedder
        self.memory: dict[str, np.ndarray] = {}
        self.encoded = 0  # texts the model had to encode; the restart test reads it

    async def vectors_for(
        self, texts: Iterable[str], progress: Callable[[int], None] | None = None, *, counted: bool = True
    ) -> dict[str, np.ndarray]:
        """`counted`: add what the model encodes to `encoded` (the calibration's own texts are not)."""
        wanted = {text_hash(t): t for t in texts}
        missing = [h for h in wanted if h not in self.memory]
        model = self.embedder.model_id
        if missing:
            async with self.sessions() as session:
                for i in range(0, len(missing), _CHUNK):
                    chunk = missing[i : i + _CHUNK]
                    rows = await session.execute(
                        select(EmbeddingCache.text_hash, EmbeddingCache.vector).where(
                            EmbeddingCache.model == model, EmbeddingCache.text_hash.in_(chunk)
                        )
                    )
                    for h, blob in rows:
                        self.memory[h] = np.frombuffer(blob, dtype=np.float32)
        todo = [h for h in wanted if h not in self.memory]
        batch = 256
        for i in range(0, len(todo), batch):
            hashes = todo[i : i + batch]
            vecs = await self.embedder.encode([wanted[h] for h in hashes])
            self.encoded += len(hashes) if counted else 0
            new: list[dict[str, Any]] = []
            for h, v in zip(hashes, vecs, strict=True):
                self.memory[h] = v
                new.append({"model": model, "text_hash": h, "dim": int(v.shape[0]), "vector": v.tobytes()})
            async with self.sessions() as session, session.begin():
                # Processes starting together encode the same texts: the first row wins, the same vector.
                await session.execute(_insert_ignoring_duplicates(session), new)
            if progress:
                progress(len(hashes))
        return {h: self.memory[h] for h in wanted}
