"""infra/startup_lock.py: start-up steps run one process at a time (a lock file beside a SQLite database;
PostgreSQL's advisory locks: tests/test_postgres_startup.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from infra.db import create_engine
from infra.migrate import upgrade
from infra.startup_lock import advisory_key, sqlite_file, startup_lock


async def test_start_up_steps_run_one_process_at_a_time_on_sqlite(tmp_path: Path, make_settings: Any) -> None:
    settings = make_settings()
    url = f"sqlite+aiosqlite:///{tmp_path / 'race.db'}"
    engines = [create_engine(settings.database.model_copy(update={"url": url})) for _ in range(2)]
    try:
        inside: list[int] = []
        overlap = []

        async def step(i: int) -> None:
            async with startup_lock(engines[i], "migrations"):
                inside.append(i)
                overlap.append(len(inside))
                await asyncio.sleep(0.1)
                inside.remove(i)

        await asyncio.gather(step(0), step(1))
        assert overlap == [1, 1]
        await asyncio.gather(upgrade(engines[0]), upgrade(engines[1]))  # both end up at head, neither fails
    finally:
        for engine in engines:
            await engine.dispose()


def test_sqlite_file_of_urls() -> None:
    assert sqlite_file(make_url("sqlite+aiosqlite:////var/lib/k.db")) == Path("/var/lib/k.db")
    assert sqlite_file(make_url("sqlite+aiosqlite:///file:/tmp/k.db?mode=rwc&uri=true")) == Path("/tmp/k.db")
    for memory in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:", "sqlite:///file::memory:?uri=true"):
        assert sqlite_file(make_url(memory)) is None, memory


def test_advisory_keys_are_stable_distinct_and_fit_a_bigint() -> None:
    assert advisory_key("migrations") == advisory_key("migrations") != advisory_key("demo import")
    assert 0 < advisory_key("migrations") < 2**63


async def test_an_in_memory_database_needs_no_lock(make_settings: Any) -> None:
    engine = create_engine(
        make_settings().database.model_copy(update={"url": "sqlite+aiosqlite:///:memory:"})
    )
    try:
        async with startup_lock(engine, "migrations"), startup_lock(engine, "migrations"):
            pass  # nested: no file, nothing to wait for
    finally:
        await engine.dispose()
