# ruff: noqa: F811 - pytest fixtures imported from test_slack are parameters here
"""Slack posts customer text masked: the agents' channel (handoff post with the timeline, and the thread
mirror of later messages) never shows a card number the customer typed, on the web or in Slack.

Also: `/slack/events` checks the signature before it parses anything, so unsigned garbage is a 401 with
no traceback in the log; signed garbage is a 400.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from fakes.slack_api import FakeSlackAPI
from fakes.slack_events import DM, dm, post_signed
from test_slack import (  # noqa: F401 - fixtures, shared with the Slack tests
    AGENTS,
    client,
    fake_slack,
    idle,
    kb_template,
    next_frame,
    send_event,
    slack_post_of,
    slack_settings,
)

CARD = "4111 1111 1111 1111"


def has_card(text: str) -> bool:
    return "4111111111111111" in re.sub(r"\D", "", text)


async def test_agents_channel_posts_show_web_customer_text_masked(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    ws = await client.ws_connect("/ws/chat", params={"visitor": "mask-web"})
    await ws.send_json(
        {"type": "message", "id": "m1", "text": f"Mitt kort {CARD} nekas. Jag vill prata med en människa"}
    )
    frame = await next_frame(ws, "notice", "answer", "clarify")
    while frame["type"] != "handoff":
        frame = await next_frame(ws, "notice", "answer", "clarify")
    [post] = await fake_slack.wait_for("chat.postMessage", channel=AGENTS)
    assert "nekas" in post.dump() and not has_card(post.dump()), post.dump()
    await slack_post_of(client, frame["ticket"])  # the thread exists: later messages are mirrored there
    await ws.send_json({"type": "message", "id": "m2", "text": f"Igen: {CARD.replace(' ', '-')} funkar inte"})
    [mirror] = await fake_slack.wait_for(
        "chat.postMessage", lambda c: "funkar inte" in c.dump(), channel=AGENTS
    )
    assert not has_card(mirror.dump()), mirror.dump()
    await idle(client)
    assert not [c.dump() for c in fake_slack.calls if has_card(c.dump())]
    await ws.close()


async def test_a_slack_customers_card_number_is_masked_in_the_agents_channel(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    await send_event(client, dm(f"kortet {CARD} nekas, jag vill prata med en människa", "1700000200.000100"))
    await idle(client)
    posts = fake_slack.calls_to("chat.postMessage", channel=AGENTS)
    assert posts and any("nekas" in p.dump() for p in posts)
    assert not [p.dump() for p in posts if has_card(p.dump())]
    replies = fake_slack.calls_to("chat.postMessage", channel=DM)
    assert not [r.dump() for r in replies if has_card(r.dump())]  # nor echoed back to the customer


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
