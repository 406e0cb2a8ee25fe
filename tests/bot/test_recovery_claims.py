"""Conversation claims and liveness (bot/recovery_claims.py) on SQLite: one process, so claims are this
process's locks, shared by every `Claims` on one engine, and nobody else is ever alive.
(PostgreSQL's advisory locks and `pg_stat_activity`: tests/test_postgres_startup.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.recovery_claims import Claims
from config import DatabaseSettings
from infra.db import create_engine, utcnow


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/claims.db"))
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_one_claimant_per_conversation_across_claims_on_one_engine(engine: AsyncEngine) -> None:
    first, second = Claims(engine, 20.0), Claims(engine, 20.0)
    order: list[str] = []

    async def hold(claims: Claims, name: str, conversation_id: int) -> None:
        async with claims.claim(conversation_id):
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            order.append(f"{name} out")

    await asyncio.gather(hold(first, "a", 1), hold(second, "b", 1))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    order.clear()
    await asyncio.gather(hold(first, "a", 1), hold(second, "b", 2))  # other conversations: at once
    assert order[:2] == ["a in", "b in"]


async def test_on_sqlite_nobody_else_is_alive_and_nothing_waits(engine: AsyncEngine) -> None:
    claims = Claims(engine, grace_seconds=3600.0)
    assert not claims.postgres
    assert await claims.others_alive() is False
    before = utcnow()
    cutoff = await claims.cutoff()
    assert before <= cutoff <= utcnow() + timedelta(seconds=1)  # not an hour back: no grace to wait out
