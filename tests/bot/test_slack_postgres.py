"""Slack at least once on PostgreSQL with two app instances on one database: each event is done once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.channels.slack import SLACK
from config import Settings
from infra.app_keys import SESSIONS
from router.models import InboxItem
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_events import dm, event_body, post_signed
from tests.settings_for import settings_for

pytestmark = pytest.mark.postgres

QUESTION = "Hur betalar jag med Swish?"
CUSTOMERS = 24


def settings_on(url: str, fake: FakeSlackAPI) -> Settings:
    return settings_for(
        url,
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": "test-signing-secret",
            "agents_channel": "C_AGENTS",
            "api_base_url": fake.base_url,
        },
    )


async def test_two_processes_do_each_stored_event_once(
    fake_slack: FakeSlackAPI, pg_kb_db_url: str, aiohttp_client: Any
) -> None:
    settings = settings_on(pg_kb_db_url, fake_slack)
    a = await aiohttp_client(create_app(settings))
    b = await aiohttp_client(create_app(settings))
    workers = [client.app[SLACK].work.worker for client in (a, b)]
    for worker in workers:
        await worker.stop()  # both only acknowledge for now: the rows pile up for the race below
        worker.concurrency = 4  # neither can take the whole pile at once: both take part

    # Every event reaches both processes at the same moment (Slack retrying through the other one).
    bodies = [
        event_body(dm(QUESTION, f"{1700002000 + i}.000100", user=f"U_C{i}", channel=f"D_C{i}"), f"EvPG{i}")
        for i in range(CUSTOMERS)
    ]
    answers = await asyncio.gather(
        *(post_signed(client, body, retry=n or None) for body in bodies for n, client in enumerate((a, b)))
    )
    assert [r.status for r in answers] == [200] * (2 * CUSTOMERS)
    async with a.app[SESSIONS]() as session:
        stored = list(await session.scalars(select(InboxItem)))
    assert len(stored) == CUSTOMERS, "one row per event_id, whichever process got it first"

    for worker in workers:  # start together: both claim from the same pile
        worker.start()
    for i in range(CUSTOMERS):
        await fake_slack.wait_for("chat.postMessage", channel=f"D_C{i}", within=60)
    await asyncio.wait_for(asyncio.gather(a.app[SLACK].idle(), b.app[SLACK].idle()), 60)

    for i in range(CUSTOMERS):
        replies = fake_slack.calls_to("chat.postMessage", channel=f"D_C{i}")
        assert len(replies) == 1, f"customer {i} got {len(replies)} replies"
    async with a.app[SESSIONS]() as session:
        rows = list(await session.scalars(select(InboxItem)))
    assert {r.status for r in rows} == {"done"}
    assert [r.event_id for r in rows if r.attempts != 1] == [], "each row was claimed exactly once"
    assert len({r.locked_by for r in rows}) <= 2
    assert all(worker.done > 0 for worker in workers), [worker.done for worker in workers]
    assert sum(worker.done for worker in workers) == len(rows)
