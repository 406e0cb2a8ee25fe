"""Every migration, on SQLite and PostgreSQL: up to head matches the models, and each step goes down and
up again (one test for both databases, so a new migration is covered on both without a new test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

import knowledge.models  # noqa: F401  (registers tables)
import router.install_secrets
import router.models  # noqa: F401
from config import DatabaseSettings
from infra.db import Base, create_engine
from infra.migrate import alembic_config, upgrade

SCRIPTS = ScriptDirectory.from_config(alembic_config("sqlite://"))
# base → head, each revision once: the chain must be linear (two heads would mean two processes disagree).
CHAIN = [s.revision for s in reversed(list(SCRIPTS.walk_revisions()))]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/migrations.db"
    return str(request.getfixturevalue("pg_db_url"))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(DatabaseSettings(url=db_url))
    try:
        yield engine
    finally:
        await engine.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: set(inspect(c).get_table_names()) - {"alembic_version"})


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(conn: Any) -> None:
        cfg = alembic_config(engine.url.render_as_string(hide_password=False))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


def test_one_linear_chain() -> None:
    assert SCRIPTS.get_heads() == [CHAIN[-1]] and len(SCRIPTS.get_bases()) == 1


async def test_head_matches_the_models(engine: AsyncEngine) -> None:
    await upgrade(engine)
    await upgrade(engine)  # idempotent
    async with engine.connect() as conn:
        version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    assert version == CHAIN[-1]
    assert await _tables(engine) == set(Base.metadata.tables)
    # Structural differences only: a table, column or index on one side and not the other. An index with
    # a DESC expression is compared approximately (removed and added under one name): the same index.
    structural = [d for d in diff if isinstance(d, tuple) and d[0].startswith(("add_", "remove_"))]
    added = {d[1].name for d in structural if d[0] == "add_index"}
    both = added & {d[1].name for d in structural if d[0] == "remove_index"}
    assert [d for d in structural if not (d[0].endswith("_index") and d[1].name in both)] == []


async def test_every_step_goes_down_and_up_again(engine: AsyncEngine) -> None:
    await upgrade(engine)
    at_head = await _tables(engine)
    seen: dict[str, set[str]] = {CHAIN[-1]: at_head}
    for revision in reversed(CHAIN[:-1]):
        await _downgrade(engine, revision)
        seen[revision] = await _tables(engine)
    await _downgrade(engine, "base")
    assert await _tables(engine) == set()
    for revision in CHAIN:  # and up, one step at a time, to the same tables as each way down
        await upgrade(engine, revision)
        assert await _tables(engine) == seen[revision], revision
