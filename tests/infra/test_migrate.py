"""infra/migrate.py on a real SQLite file: upgrading creates the schema, again is a no-op, a revision can be
named; URLs with %-escapes survive Alembic's config (each migration step: test_migrations.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from config import DatabaseSettings
from infra.db import create_engine
from infra.migrate import alembic_config, upgrade, upgrade_sync

CHAIN = [
    s.revision
    for s in reversed(list(ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()))
]


async def tables_and_version(url: str) -> tuple[set[str], str | None]:
    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            version = None
            if "alembic_version" in names:
                version = (await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalar()
        return names, version
    finally:
        await engine.dispose()


async def test_upgrade_to_head_and_again(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    engine = create_engine(DatabaseSettings(url=url))
    try:
        await upgrade(engine, CHAIN[0])
        names, version = await tables_and_version(url)
        assert version == CHAIN[0]
        await upgrade(engine)
        await upgrade(engine)  # at head already: nothing to do, no error
    finally:
        await engine.dispose()
    names, version = await tables_and_version(url)
    assert version == CHAIN[-1] and {"customers", "conversations", "articles"} <= names


def test_upgrade_sync_runs_outside_an_event_loop(tmp_path: Path, make_settings: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/sync.db"
    upgrade_sync(make_settings(database={"url": url}))
    assert asyncio.run(tables_and_version(url))[1] == CHAIN[-1]


def test_percent_escapes_in_a_url_are_kept() -> None:
    url = "postgresql+asyncpg://kundresa:p%40ss@/kundresa?host=%2Frun%2Fpostgresql"
    assert alembic_config(url).get_main_option("sqlalchemy.url") == url
