"""bot/cli/serve.py: `kundresa db upgrade` migrates the configured database and says so on stderr.
(`kundresa serve` as a process: tests/bot/test_security_startup.py, tests/servers.py.)"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main


def test_db_upgrade_creates_the_tables_and_names_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "up.db"
    monkeypatch.setenv("KUNDRESA_DATABASE__URL", f"sqlite+aiosqlite:///{db}")
    assert main(["db", "upgrade"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and f"{db} is up to date" in err
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"customers", "conversations", "messages", "tickets", "articles", "alembic_version"} <= tables
    assert main(["db", "upgrade"]) == 0  # again: nothing to do
