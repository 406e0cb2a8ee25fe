"""Start-up races on PostgreSQL: processes starting at the same instant.

Two `kundresa serve` on an empty database: both migrate and both would import the demo knowledge base;
under the advisory locks (infra/startup_lock.py) one does each step and the other waits, then finds it done.
Before, one crashed on `uq_articles_slug`. And two start-up recovery passes over the same unanswered
messages: each is answered once.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import create_app
from bot.app_keys import DIALOGUE
from bot.recovery import Recovery
from config.settings import RecoverySettings
from infra.app_keys import ENGINE, SESSIONS
from knowledge.models import Article
from router.identity import Evidence
from router.models import Message
from router.web import ROUTER
from tests.servers import ServeProcess
from tests.settings_for import settings_for

pytestmark = pytest.mark.postgres

ANSWERABLE = "hur lång är leveranstiden?"


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


async def test_two_processes_recovering_at_once_answer_each_message_once(pg_kb_db_url: str) -> None:
    """Two apps with engines of their own (two processes' worth) run their start-up pass over the same
    unanswered messages at once: the advisory lock per conversation lets exactly one answer each."""
    settings = settings_for(pg_kb_db_url)
    no_grace = RecoverySettings(grace_seconds=0)  # each sees the other alive: no waiting in a test
    async with (
        TestClient(TestServer(create_app(settings))) as a,
        TestClient(TestServer(create_app(settings))) as b,
    ):
        conversations = []
        for i in range(6):
            _, conv = await a.app[ROUTER].identify([Evidence("web_visitor", f"two-{i}", False)])
            await a.app[ROUTER].receive(conv, channel="web", address={}, text=ANSWERABLE, client_id="c1")
            conversations.append(conv)
        passes = [Recovery(x.app[DIALOGUE], x.app[ENGINE], x.app[SESSIONS], no_grace) for x in (a, b)]
        reports = await asyncio.gather(*(p.run() for p in passes))
        assert sum(r.answered for r in reports) == len(conversations), reports
        async with a.app[SESSIONS]() as session:
            replies = await session.execute(
                select(Message.conversation_id, func.count())
                .where(Message.conversation_id.in_(conversations), Message.direction == "out")
                .group_by(Message.conversation_id)
            )
            assert dict(replies.all()) == dict.fromkeys(conversations, 1)
