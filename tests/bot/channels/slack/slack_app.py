"""Helpers for the Slack tests: signed events, button clicks and commands sent to the app, waits."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from bot.channels.slack import SLACK
from infra.app_keys import SESSIONS
from router.models import Ticket
from tests.fakes.slack_api import TEAM_ID
from tests.fakes.slack_events import event_body, next_id, post_signed

AGENTS = "C_AGENTS"
AGENT = "U_AGENT"
QUESTION = "Hur betalar jag med Swish?"
HUMAN = "jag vill prata med en människa"


async def send_event(client: Any, event: dict[str, Any], event_id: str | None = None, **kw: Any) -> None:
    resp = await post_signed(client, event_body(event, event_id), **kw)
    assert resp.status == 200, await resp.text()


async def idle(client: Any) -> None:
    """Wait for the Slack work acknowledged so far (answers, posts) to finish."""
    await asyncio.wait_for(client.app[SLACK].idle(), 30)


async def action(client: Any, user: str, channel: str, action_id: str, value: str, **message: Any) -> None:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "api_app_id": "A_KUNDRESA",
        "container": {"type": "message", "channel_id": channel, "message_ts": message.get("ts", "")},
        "channel": {"id": channel},
        "message": {"type": "message", "text": "", "blocks": [], **message},
        "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b"}],
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": f"1.2.{next_id()}",  # unique per click or command, as from Slack
    }
    body = urlencode({"payload": json.dumps(payload)})
    resp = await post_signed(client, body, content_type="application/x-www-form-urlencoded")
    assert resp.status == 200, await resp.text()


async def command(client: Any, text: str, user: str = AGENT, channel: str = AGENTS) -> None:
    fields = {
        "command": "/kundresa",
        "text": text,
        "team_id": TEAM_ID,
        "channel_id": channel,
        "user_id": user,
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": f"1.2.{next_id()}",  # unique per click or command, as from Slack
    }
    resp = await post_signed(client, urlencode(fields), content_type="application/x-www-form-urlencoded")
    assert resp.status == 200, await resp.text()


async def ticket_of(client: Any, **where: Any) -> Ticket:
    async with client.app[SESSIONS]() as session:
        ticket = await session.scalar(select(Ticket).filter_by(**where).order_by(Ticket.id.desc()).limit(1))
    assert ticket is not None
    return ticket


async def slack_post_of(client: Any, ticket_id: int) -> dict[str, Any]:
    """The ticket's Slack thread, once posted."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        refs = (await ticket_of(client, id=ticket_id)).external_refs.get("slack")
        if refs:
            return dict(refs)
        await asyncio.sleep(0.05)
    raise AssertionError("the ticket was never posted to Slack")


async def next_frame(ws: Any, *skip: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] not in ("ack", "typing", *skip):
            return frame
