"""The knowledge tests build their own `KnowledgeBase`s: `settings` points at an empty database here;
`open_kb` opens real ones on it (each with its own engine and embedder), `kb` one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from config import Settings, load_settings
from infra.db import create_engine, create_sessionmaker
from infra.migrate import upgrade
from knowledge import Embedder, KnowledgeBase

OpenKB = Callable[[], Awaitable[KnowledgeBase]]


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
async def open_kb(settings: Settings) -> AsyncIterator[OpenKB]:
    """Opens KnowledgeBases (each with its own engine and embedder) on one SQLite file; closes them all."""
    closers: list[Callable[[], Awaitable[None]]] = []

    async def open_() -> KnowledgeBase:
        engine = create_engine(settings.database)
        embedder = Embedder(settings.model)

        async def close() -> None:
            await embedder.close()
            await engine.dispose()

        closers.append(close)
        await upgrade(engine)
        await embedder.start()
        kb = KnowledgeBase(create_sessionmaker(engine), embedder, settings.search)
        await kb.refresh()
        return kb

    try:
        yield open_
    finally:
        for close in reversed(closers):
            await close()


@pytest.fixture
async def kb(open_kb: OpenKB) -> KnowledgeBase:
    return await open_kb()


@pytest.fixture(scope="session")
def thread_embedder() -> Embedder:
    """The default model in this process, float32 (the model itself is loaded once per process)."""
    # float32: the exactness checks below compare against SentenceTransformer.encode to float noise.
    embedder = Embedder(load_settings(environ={}, model={"worker": "thread", "dtype": "float32"}).model)
    embedder.load_sync()
    return embedder
