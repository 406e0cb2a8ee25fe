"""Slack at least once: events are stored before Slack hears "ok", done afterwards, retried until done.

The real app and real slack-sdk against the fake Slack Web API on 127.0.0.1 (tests/fakes/slack_api.py),
which fails on demand: HTTP 5xx, connection refused, 429. The knowledge base is empty here (fast start):
the bot hands every question to a person, so one customer message leads to a reply in the customer's
thread and a ticket post in the agents' channel, both of which must arrive exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app import create_app
from bot.channels.slack import SLACK
from config import Settings
from infra.app_keys import SESSIONS
from infra.db import utcnow
from router.models import InboxItem, Message
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.slack_events import DM, dm, event_body, post_signed

AGENTS = "C_AGENTS"
QUESTION = "Hur betalar jag med Swish?"


def slack_settings(make: Callable[..., Settings], fake: FakeSlackAPI, **extra: Any) -> Settings:
    slack = {
        "bot_token": "xoxb-test",
        "signing_secret": "test-signing-secret",
        "agents_channel": AGENTS,
        "api_base_url": fake.base_url,
    }
    return make(slack=slack, server={"load_demo_kb": False}, **extra)


@pytest.fixture
def settings(make_settings: Callable[..., Settings], fake_slack: FakeSlackAPI) -> Settings:
    return slack_settings(make_settings, fake_slack)


async def start(aiohttp_client: Any, settings: Settings) -> Any:
    """The real app; its Slack worker retries quickly (a test's outage lasts a second or two)."""
    client = await aiohttp_client(create_app(settings))
    fast_retries(client)
    return client


def fast_retries(client: Any) -> None:
    work = client.app[SLACK].work
    work.policy.first, work.policy.cap = 0.1, 0.4
    work.worker.poll = 0.2


@pytest.fixture
async def client(fake_slack: FakeSlackAPI, settings: Settings, aiohttp_client: Any) -> Any:
    return await start(aiohttp_client, settings)


async def idle(client: Any) -> None:
    await asyncio.wait_for(client.app[SLACK].idle(), 30)


async def inbox(client: Any) -> dict[str, InboxItem]:
    async with client.app[SESSIONS]() as session:
        return {row.event_id: row for row in await session.scalars(select(InboxItem))}


async def row_when(
    client: Any, key: str, ready: Callable[[InboxItem], bool], within: float = 15
) -> InboxItem:
    deadline = time.monotonic() + within
    while True:
        row = (await inbox(client)).get(key)
        if row is not None and ready(row):
            return row
        assert time.monotonic() < deadline, f"inbox row {key} never got there: {row and row.__dict__}"
        await asyncio.sleep(0.05)


def posts(fake: FakeSlackAPI, channel: str) -> list[str]:
    return [c.params.get("text", "") for c in fake.calls_to("chat.postMessage", channel=channel)]


# -- outages ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("outage", ["http_5xx", "connection_refused", "rate_limited"])
async def test_a_slack_outage_delays_the_answer_and_loses_nothing(
    outage: str, client: Any, fake_slack: FakeSlackAPI
) -> None:
    if outage == "http_5xx":
        fake_slack.fail(2, status=503)  # the first tries of the event itself (users.info)
        fake_slack.fail(3, status=500, method="chat.postMessage")  # then the reply and the ticket post
    elif outage == "connection_refused":
        await fake_slack.down()
    else:
        fake_slack.rate_limit("users.info", 1)
        fake_slack.rate_limit("chat.postMessage", 2)
    body = event_body(dm(QUESTION, "1700001000.000100"), "EvOUTAGE")
    started = time.monotonic()
    resp = await post_signed(client, body)
    assert resp.status == 200, await resp.text()
    assert time.monotonic() - started < 2, "acknowledged at once, whatever Slack's API does"
    if outage == "connection_refused":
        row = await row_when(client, "event:EvOUTAGE", lambda r: r.attempts >= 2)
        assert row.status == "pending", "stored, and retried while Slack is away"
        assert "Connect" in (row.last_error or ""), row.last_error
        assert fake_slack.calls == []
        # Slack retries the delivery meanwhile: acknowledged, not stored or done a second time.
        assert (await post_signed(client, body, retry=1)).status == 200
        await fake_slack.up()

    [reply] = await fake_slack.wait_for("chat.postMessage", channel=DM)
    assert reply.params["thread_ts"] == "1700001000.000100"
    await fake_slack.wait_for("chat.postMessage", channel=AGENTS)  # the ticket, with its timeline
    await idle(client)
    assert len(posts(fake_slack, DM)) == 1, "answered exactly once"
    assert len(posts(fake_slack, AGENTS)) == 1, "the ticket is posted exactly once"
    failed = [c for c in fake_slack.calls if c.status != 200]
    assert failed or outage == "connection_refused"
    rows = await inbox(client)
    assert {r.status for r in rows.values()} == {"done"}
    async with client.app[SESSIONS]() as session:
        inbound = list(await session.scalars(select(Message.text).where(Message.direction == "in")))
    assert inbound == [QUESTION]


async def test_a_retried_delivery_is_acknowledged_and_done_once(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    """Slack retries an event it thinks was lost: at once, and while the first is still being done."""
    body = event_body(dm(QUESTION, "1700001100.000100"), "EvRETRY")
    answers = await asyncio.gather(*(post_signed(client, body, retry=n or None) for n in range(4)))
    assert [r.status for r in answers] == [200] * 4
    await fake_slack.wait_for("chat.postMessage", channel=DM)
    assert (await post_signed(client, body, retry=3)).status == 200  # after it was done
    await idle(client)
    assert len(posts(fake_slack, DM)) == 1
    rows = await inbox(client)
    assert rows["event:EvRETRY"].attempts == 1


async def test_bot_messages_and_edits_of_them_are_acknowledged_and_not_stored(client: Any) -> None:
    edit_of_ours = {
        "type": "message",
        "subtype": "message_changed",
        "channel": AGENTS,
        "ts": "1700001150.000200",
        "message": {"type": "message", "bot_id": "B_BOT", "text": "Ticket #1 · Claimed", "ts": "1"},
    }
    for event in (dm("our own reply", "1700001150.000100", bot_id="B_BOT"), edit_of_ours):
        assert (await post_signed(client, event_body(event))).status == 200
    assert await inbox(client) == {}


async def test_a_reply_slack_keeps_refusing_is_given_up_and_the_thread_goes_on(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    """A refused call (not an outage) is tried a few times, then marked failed with Slack's error; the
    conversation's later replies are not held up behind it for ever."""
    client.app[SLACK].work.policy.permanent_attempts = 2
    fake_slack.refuse("chat.postMessage", "not_in_channel", times=2, channel=DM)
    await post_signed(client, event_body(dm(QUESTION, "1700001200.000100")))
    await idle(client)
    failed = [r for r in (await inbox(client)).values() if r.status == "failed"]
    assert [r.kind for r in failed] == ["call"]
    assert "not_in_channel" in (failed[0].last_error or "") and failed[0].attempts == 2
    # An agent answers in the ticket's thread: that reply (same conversation) is not held up.
    [post] = await fake_slack.wait_for("chat.postMessage", channel=AGENTS)
    thread_reply = {
        "type": "message",
        "channel": AGENTS,
        "channel_type": "channel",
        "user": "U_AGENT",
        "text": "Hej! Jag hjälper dig.",
        "ts": "1700001201.000100",
        "thread_ts": post.response["ts"],
    }
    await post_signed(client, event_body(thread_reply))
    [reply] = await fake_slack.wait_for("chat.postMessage", lambda c: "Jag hjälper" in c.dump(), channel=DM)
    assert reply.params["thread_ts"] == "1700001200.000100"


# -- what is not from Slack ------------------------------------------------------------------------------
async def test_unsigned_or_garbage_bodies_get_401_and_no_traceback(
    client: Any, fake_slack: FakeSlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    garbage = b"\xff\xfe{not json at all\x00"
    now = int(time.time())
    attempts = [
        {},  # no signature at all
        {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=deadbeef"},
        {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=deadbeef"},
    ]
    for headers in attempts:
        for content_type in ("application/json", "application/x-www-form-urlencoded", "text/plain"):
            resp = await client.post(
                "/slack/events", data=garbage, headers={**headers, "Content-Type": content_type}
            )
            assert resp.status == 401, await resp.text()
            error = (await resp.json())["error"]
            assert error["code"] == "invalid_signature" and "Slack" in error["message"]
    stale = await post_signed(client, event_body(dm(QUESTION, "1")), timestamp=now - 3600)
    assert stale.status == 401 and "clock" in (await stale.json())["error"]["message"]
    # Signed with the right secret but not Slack's format: 400, still JSON, still no traceback.
    for content_type in ("application/json", "application/x-www-form-urlencoded"):
        signed = await post_signed(client, garbage, content_type=content_type)
        assert signed.status == 400, await signed.text()
        assert (await signed.json())["error"]["code"] == "invalid_body"
    await idle(client)
    assert await inbox(client) == {}
    assert fake_slack.calls == []
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"
    assert "Traceback" not in caplog.text


# -- crashes ---------------------------------------------------------------------------------------------
async def test_work_acknowledged_before_a_crash_is_done_by_the_next_process(
    fake_slack: FakeSlackAPI, settings: Settings, aiohttp_client: Any
) -> None:
    first = await start(aiohttp_client, settings)
    await first.app[SLACK].work.worker.stop()  # from here on this process only acknowledges
    for user, channel, ts, event_id in (
        ("U_ONE", "D_ONE", "1700001300.000100", "EvNEVER"),
        ("U_TWO", "D_TWO", "1700001301.000100", "EvLEASED"),
    ):
        resp = await post_signed(first, event_body(dm(QUESTION, ts, user=user, channel=channel), event_id))
        assert resp.status == 200
    # The second was claimed by a process that died while doing it: its lease runs out in a second.
    async with first.app[SESSIONS]() as session, session.begin():
        await session.execute(
            update(InboxItem)
            .where(InboxItem.event_id == "event:EvLEASED")
            .values(locked_by="a-process-that-died", locked_until=utcnow() + timedelta(seconds=1), attempts=1)
        )
    await first.close()
    assert fake_slack.calls_to("chat.postMessage") == []

    second = await start(aiohttp_client, settings)  # the same database
    await fake_slack.wait_for("chat.postMessage", channel="D_ONE")
    await fake_slack.wait_for("chat.postMessage", channel="D_TWO")
    await idle(second)
    assert len(posts(fake_slack, "D_ONE")) == len(posts(fake_slack, "D_TWO")) == 1
    rows = await inbox(second)
    assert rows["event:EvNEVER"].attempts == 1 and rows["event:EvLEASED"].attempts == 2
    assert {r.status for r in rows.values()} == {"done"}


async def test_old_finished_rows_are_cleaned_up(client: Any, fake_slack: FakeSlackAPI) -> None:
    await post_signed(client, event_body(dm(QUESTION, "1700001400.000100"), "EvOLD"))
    await idle(client)
    rows = await inbox(client)
    assert len(rows) >= 3 and {r.status for r in rows.values()} == {"done"}  # event, reply, ticket post
    async with client.app[SESSIONS]() as session, session.begin():
        await session.execute(
            update(InboxItem)
            .where(InboxItem.event_id == "event:EvOLD")
            .values(updated_at=utcnow() - timedelta(days=2))
        )
    deleted = await client.app[SLACK].work.store.cleanup()
    assert deleted == 1
    assert "event:EvOLD" not in await inbox(client)
