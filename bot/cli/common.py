"""What several commands share: progress bars on stderr, a migrated database, a knowledge base on it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from config import Settings


def progress_bar(desc: str, total: int | None = None) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, unit="item", dynamic_ncols=True, leave=False)


@asynccontextmanager
async def migrated_sessions(settings: Settings) -> AsyncIterator[Any]:
    """A sessionmaker on the configured database, migrated first; the engine is disposed afterwards."""
    from infra.db import create_engine, create_sessionmaker
    from infra.migrate import upgrade

    engine = create_engine(settings.database)
    try:
        await upgrade(engine)
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def knowledge_base(settings: Settings) -> AsyncIterator[Any]:
    """A KnowledgeBase on the configured database (migrated), closed afterwards."""
    from infra.db import create_engine, create_sessionmaker
    from infra.migrate import upgrade
    from knowledge import Embedder, KnowledgeBase

    engine = create_engine(settings.database)
    # Batch commands have no event loop to protect: the model runs in this process (starts faster).
    embedder = Embedder(settings.model.model_copy(update={"worker": "thread"}))
    english = settings.model.english
    second = (
        Embedder(settings.model.model_copy(update={"name": english, "worker": "thread"})) if english else None
    )
    try:
        await upgrade(engine)
        await embedder.start()
        if second is not None:
            await second.start()
        yield KnowledgeBase(create_sessionmaker(engine), embedder, settings.search, second)
    finally:
        await embedder.close()
        if second is not None:
            await second.close()
        await engine.dispose()
