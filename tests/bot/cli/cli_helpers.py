"""Running `kundresa` in-process in tests (tests/bot/cli/): a `Cli` on one SQLite database, and helpers."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest

from bot import cli

DEMO_KB = Path(__file__).resolve().parents[3] / "knowledge" / "demo"
ENV = "KUNDRESA_DATABASE__URL"


def url(db: Path) -> str:
    return f"sqlite+aiosqlite:///{db}"


class Cli:
    """Runs `kundresa ARGS` in this process against one database; returns (exit code, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db: Path) -> None:
        self.capsys, self.monkeypatch, self.db = capsys, monkeypatch, db

    def __call__(self, *argv: str, db: Path | None = None) -> tuple[int, str, str]:
        self.monkeypatch.setenv(ENV, url(db or self.db))
        self.capsys.readouterr()
        code = cli.main(list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    def ok(self, *argv: str, db: Path | None = None) -> str:
        code, out, err = self(*argv, db=db)
        assert code == 0, err
        return out


def slugs_in(db: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return [row[0] for row in conn.execute("SELECT slug FROM articles ORDER BY id")]


def warm_embedding_cache(run: Cli, fresh: Path, source: Path) -> None:
    """A new, migrated database whose only rows are `source`'s embedding cache (vectors keyed by text
    hash, no article data), so importing the demo into it does not embed ~260 texts again."""
    run.ok("db", "upgrade", db=fresh)
    with contextlib.closing(sqlite3.connect(fresh)) as conn:
        conn.execute("ATTACH DATABASE ? AS source", (str(source),))
        conn.execute("INSERT INTO embedding_cache SELECT * FROM source.embedding_cache")
        conn.commit()
        conn.execute("DETACH DATABASE source")
    assert slugs_in(fresh) == []
