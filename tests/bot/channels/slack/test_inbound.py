"""bot/channels/slack/inbound.py: /slack/events checks the signature before it parses anything (unsigned
garbage is a 401 with no traceback, signed garbage a 400), answers url_verification, ignores bots."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import pytest
from sqlalchemy import select

from infra.app_keys import SESSIONS
from router.models import Message
from tests.bot.channels.slack.slack_app import (
    QUESTION,
    idle,
    send_event,
)
from tests.fakes.slack_api import BOT_ID, FakeSlackAPI
from tests.fakes.slack_events import dm, event_body, post_signed


async def test_url_verification_answers_the_challenge(client: Any, fake_slack: FakeSlackAPI) -> None:
    body = json.dumps({"token": "legacy", "challenge": "c-123", "type": "url_verification"})
    resp = await post_signed(client, body)
    assert resp.status == 200
    assert "c-123" in await resp.text()


async def test_bad_or_stale_signature_is_refused_and_nothing_happens(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    body = event_body(dm(QUESTION, "1700000001.000100"))
    assert (await post_signed(client, body, secret="not-the-secret")).status == 401
    stale = int(time.time()) - 10 * 60
    assert (await post_signed(client, body, timestamp=stale)).status == 401
    resp = await client.post("/slack/events", data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 401
    await asyncio.sleep(0.3)
    await idle(client)
    assert fake_slack.calls == []
    async with client.app[SESSIONS]() as session:
        assert list(await session.scalars(select(Message))) == []


async def test_own_and_other_bots_messages_are_ignored(client: Any, fake_slack: FakeSlackAPI) -> None:
    await send_event(client, dm("I am the bot's own reply", "1700000300.000100", bot_id=BOT_ID))
    await send_event(
        client,
        dm(
            "beep from another bot",
            "1700000301.000100",
            user="U_OTHERBOT",
            bot_id="B_OTHER",
            subtype="bot_message",
        ),
    )
    await asyncio.sleep(0.3)
    await idle(client)
    assert fake_slack.calls_to("chat.postMessage") == []
    async with client.app[SESSIONS]() as session:
        assert list(await session.scalars(select(Message))) == []


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b"\xff\xfe garbage",
        b'{"type": "event_callback", "event": ' + b"[" * 5000 + b"}",
        b"payload=%5B%5B",
    ],
)
async def test_unsigned_garbage_is_401_before_any_parsing_and_logs_no_traceback(
    client: Any, fake_slack: FakeSlackAPI, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        resp = await client.post("/slack/events", data=body, headers={"Content-Type": "application/json"})
        assert resp.status == 401
        assert (await resp.json())["error"]["code"] == "invalid_signature"
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert fake_slack.calls == []


async def test_signed_garbage_is_400_not_500(
    client: Any, fake_slack: FakeSlackAPI, caplog: pytest.LogCaptureFixture
) -> None:
    for body, content_type in (
        ("[" * 5000, "application/json"),
        ("[1, 2]", "application/json"),
        ("payload=" + "%5B" * 5000, "application/x-www-form-urlencoded"),
        (json.dumps({"type": "event_callback"})[:-1], "application/json"),
    ):
        resp = await post_signed(client, body, content_type=content_type)
        assert resp.status == 400, (body[:40], await resp.text())
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
