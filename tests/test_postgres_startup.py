"""Start-up races on PostgreSQL: two `kundresa serve` started at the same instant on an empty database.

Both migrate and both would import the demo knowledge base; under the advisory locks (bot/startup_lock.py)
one does each step and the other waits, then finds it done. Before, one crashed on `uq_articles_slug`.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable

import pytest
from servers import ServeProcess
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from knowledge.models import Article

pytestmark = pytest.mark.postgres


def _articles(server: ServeProcess) -> int:
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as resp:
        return int(json.load(resp)["articles"])


async def test_two_processes_started_together_on_an_empty_database_both_come_up(
    pg_db_url: str, serve_process: Callable[..., ServeProcess]
) -> None:
    settings = {"database__url": pg_db_url, "server__load_demo_kb": True}
    servers = [serve_process(settings, name="a"), serve_process(settings, name="b")]
    await asyncio.gather(*(asyncio.to_thread(s.wait_ready, 170) for s in servers))

    engine = create_async_engine(pg_db_url)
    try:
        async with engine.connect() as conn:
            articles = await conn.scalar(select(func.count()).select_from(Article))
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await engine.dispose()
    assert articles and articles > 0
    assert len(versions) == 1
    assert [_articles(s) for s in servers] == [articles, articles]  # the one that waited sees them all
    logs = [s.log() for s in servers]
    assert all("Traceback" not in log for log in logs), logs
    assert sum("loaded the demo knowledge base" in log for log in logs) == 1
    waited = [line for log in logs for line in log.splitlines() if "waiting for another process" in line]
    print(f"\n{articles} articles imported once; {len(waited)} wait(s) for the other process: {waited}")
