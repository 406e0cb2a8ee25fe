"""`install_secrets` (issue 13): demo mode's generated secrets, one per installation, whatever the race.

Two processes starting at once on one database both try to insert (`ON CONFLICT DO NOTHING`), then both
read the row that won: each engine here stands for a process.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from config import DatabaseSettings, load_settings
from infra.db import create_engine
from infra.migrate import upgrade
from router.install_secrets import fill_demo_secrets, stored_secret


async def race(url: str, processes: int = 4) -> list[str]:
    engines = [create_engine(DatabaseSettings(url=url)) for _ in range(processes)]
    try:
        await upgrade(engines[0])
        return list(await asyncio.gather(*(stored_secret(e, "chat.identity_secret") for e in engines)))
    finally:
        for engine in engines:
            await engine.dispose()


async def test_sqlite_processes_starting_together_share_one_secret(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/race.db"
    first = await race(url)
    assert len(set(first)) == 1 and len(first[0]) >= 40
    assert await race(url) == first  # a restart: the same secret
    other = await race(f"sqlite+aiosqlite:///{tmp_path}/other.db")
    assert other[0] != first[0]  # another installation: another secret


@pytest.mark.postgres
async def test_postgres_processes_starting_together_share_one_secret(pg_db_url: Any) -> None:
    url = str(pg_db_url)
    first = await race(url, processes=6)
    assert len(set(first)) == 1
    assert await race(url, processes=2) == first[:2]  # a restart: the same secret


async def test_only_demo_mode_fills_in_and_a_configured_secret_wins(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/fill.db"
    engine = create_engine(DatabaseSettings(url=url))
    try:
        await upgrade(engine)
        production = load_settings(environ={}, demo=False, database={"url": url})
        assert await fill_demo_secrets(engine, production) == []
        assert production.chat.identity_secret is None
        configured = load_settings(
            environ={},
            demo=True,
            database={"url": url},
            chat={"identity_secret": "mine"},
            proactive={"events_secret": "ours"},
        )
        assert await fill_demo_secrets(engine, configured) == []
        assert configured.chat.identity_secret is not None
        assert configured.chat.identity_secret.get_secret_value() == "mine"
        demo = load_settings(environ={}, demo=True, database={"url": url})
        assert await fill_demo_secrets(engine, demo) == ["chat.identity_secret", "proactive.events_secret"]
        assert demo.chat.identity_secret is not None
        assert demo.chat.identity_secret.get_secret_value() == await stored_secret(
            engine, "chat.identity_secret"
        )
    finally:
        await engine.dispose()


def test_the_migration_downgrades(tmp_path: Path) -> None:
    from alembic import command

    from infra.migrate import alembic_config

    url = f"sqlite+aiosqlite:///{tmp_path}/down.db"

    async def main() -> list[str]:
        engine = create_engine(DatabaseSettings(url=url))
        try:
            await upgrade(engine)

            def down(connection: Any) -> None:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = connection
                command.downgrade(cfg, "0004")

            async with engine.begin() as conn:
                await conn.run_sync(down)
            async with engine.connect() as conn:
                rows = await conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
                return [r[0] for r in rows]
        finally:
            await engine.dispose()

    tables = asyncio.run(main())
    assert "install_secrets" not in tables and "inbox_items" in tables
