"""`kundresa db upgrade`: apply Alembic migrations to the configured database."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from infra.db import create_engine
from infra.startup_lock import startup_lock

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # `%` escaped: Alembic's config is a ConfigParser, and URLs carry %-escapes (a socket path, a password).
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate through an open engine (the server calls this at start-up). One process at a time: two
    started together on an empty database would both create the tables."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))

    def _do(connection: object) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)

    async with startup_lock(engine, "migrations"), engine.begin() as conn:
        await conn.run_sync(_do)


def upgrade_sync(settings: Settings, revision: str = "head") -> None:
    async def _main() -> None:
        engine = create_engine(settings.database)
        try:
            await upgrade(engine, revision)
        finally:
            await engine.dispose()

    asyncio.run(_main())
