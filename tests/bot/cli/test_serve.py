"""bot/cli/serve.py: `kundresa serve` as a user runs it (a real process that serves, then stops cleanly on
Ctrl-C), and `kundresa db upgrade`."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.cli import main


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_kundresa_serve_answers_healthz_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "KUNDRESA_DATABASE__URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "KUNDRESA_SERVER__LOAD_DEMO_KB": "false",
        "KUNDRESA_MODEL__PROCESSES": "1",  # one model worker is enough to answer healthz
        "HF_HUB_OFFLINE": "1",
    }
    cli = Path(sys.executable).with_name("kundresa")
    proc = subprocess.Popen(
        [str(cli), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = ""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not body:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    body = resp.read().decode()
            except OSError:
                time.sleep(0.2)
        assert '"ok"' in body, body
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err


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
