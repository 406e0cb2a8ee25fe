"""Fixtures of the CLI tests: a database with the demo knowledge base imported once, and `run`."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from bot import cli
from tests.bot.cli.cli_helpers import DEMO_KB, ENV, Cli, url


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`kundresa kb import knowledge/demo` into a database shared (read-only) by the CLI tests."""
    folder = tmp_path_factory.mktemp("cli-demo")
    db = folder / "demo.db"
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV, url(db))
        mp.chdir(folder)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["kb", "import", str(DEMO_KB)])
    assert code == 0, err.getvalue()
    assert out.getvalue() == ""  # progress and the report go to stderr
    return db, err.getvalue()


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Cli:
    monkeypatch.chdir(tmp_path)
    return Cli(capsys, monkeypatch, tmp_path / "kundresa.db")
