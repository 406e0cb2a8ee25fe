"""Fixtures of the router tests: the inbox store on a real SQLite database without the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import router.models  # noqa: F401  (registers the tables)
from config import DatabaseSettings
from infra.db import Base, create_engine, create_sessionmaker
from router.inbox import InboxStore


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[InboxStore]:
    """An `InboxStore` on a fresh SQLite file, tables created straight from the models (fast)."""
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/inbox.db"))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield InboxStore(create_sessionmaker(engine), "test")
    await engine.dispose()
