"""bot/cli/common.py: commands get a migrated database, and the engine is gone afterwards."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from bot.cli.common import migrated_sessions
from config import load_settings


async def test_migrated_sessions_migrate_first(tmp_path: Path) -> None:
    db = tmp_path / "common.db"
    settings = load_settings(environ={"KUNDRESA_DATABASE__URL": f"sqlite+aiosqlite:///{db}"})
    async with migrated_sessions(settings) as sessions, sessions() as session:
        version = await session.scalar(text("SELECT version_num FROM alembic_version"))
    assert version
    assert db.exists()
