"""`kundresa user add` (bot/cli/user.py): the token is printed once, stored hashed, and works on the API."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from config import Settings
from tests.bot.cli.cli_helpers import Cli, url

ARTICLE = {"slug": "x", "title": "Title x", "body": "Body.", "questions": ["What about x?"]}


async def test_user_add_prints_a_working_token(
    run: Cli, aiohttp_client: Any, make_settings: Any, tmp_path: Path
) -> None:
    code, out, err = await asyncio.to_thread(run, "user", "add", "olga", "--role", "agent")
    assert code == 0, err
    token = out.strip()
    assert out == token + "\n" and len(token) >= 32
    assert token not in err

    with contextlib.closing(sqlite3.connect(run.db)) as conn:
        rows = conn.execute("SELECT * FROM users").fetchall()
        (name, role, digest) = conn.execute("SELECT name, role, token_hash FROM users").fetchone()
    assert (name, role) == ("olga", "agent")
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert len(rows) == 1 and not any(token in str(cell) for cell in rows[0])

    code, out, err = await asyncio.to_thread(run, "user", "add", "olga", "--role", "admin")
    assert code == 2 and out == "" and "olga" in err

    settings: Settings = make_settings(database={"url": url(run.db)}, server={"load_demo_kb": False})
    client = await aiohttp_client(create_app(settings))
    headers = {"Authorization": f"Bearer {token}"}
    resp = await client.get("/api/articles", headers=headers)
    assert resp.status == 200, await resp.text()
    resp = await client.post("/api/articles", json=ARTICLE, headers=headers)
    assert resp.status == 403  # an agent, not an admin
    resp = await client.get("/api/articles", headers={"Authorization": f"Bearer {token}x"})
    assert resp.status == 401


def test_user_add_role_must_be_known(run: Cli) -> None:
    with pytest.raises(SystemExit) as exc:
        run("user", "add", "bo", "--role", "owner")
    assert exc.value.code == 2


async def test_user_token_replaces_the_token(run: Cli, aiohttp_client: Any, make_settings: Any) -> None:
    code, out, _ = await asyncio.to_thread(run, "user", "add", "pia", "--role", "agent")
    assert code == 0
    old = out.strip()
    code, out, err = await asyncio.to_thread(run, "user", "token", "pia")
    assert code == 0, err
    new = out.strip()
    assert new != old and len(new) >= 32 and "no longer works" in err
    settings: Settings = make_settings(database={"url": url(run.db)}, server={"load_demo_kb": False})
    client = await aiohttp_client(create_app(settings))
    assert (await client.get("/api/tickets", headers={"Authorization": f"Bearer {old}"})).status == 401
    assert (await client.get("/api/tickets", headers={"Authorization": f"Bearer {new}"})).status == 200
    code, out, err = await asyncio.to_thread(run, "user", "token", "nobody")
    assert code != 0 and out == "" and "kundresa user add" in err
