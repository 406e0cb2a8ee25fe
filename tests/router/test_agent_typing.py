"""The agent's "typing" hint: the console sends `{"type":"typing","ticket":ID}` on /agent/ws, the customer
gets an ephemeral `{"type":"typing","who":"agent","seq":N}` on the channel they are on now; nothing is
stored, nothing becomes a Slack message."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.slack import SLACK
from config import Settings
from infra.app_keys import SESSIONS
from router.models import Conversation, Message, Ticket
from router.web import ROUTER
from tests.fakes.slack_api import FakeSlackAPI

QUESTION = "Kan jag betala med bitcoin eller annan kryptovaluta hos er?"
BARRIER = {"type": "typing", "ticket": "not-an-id"}  # always answered at once, in order, with an error


async def _handoff(app_client: Any, visitor: str) -> tuple[Any, int]:
    """A web customer asks for a person; (customer socket with the handoff read, ticket id)."""
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": visitor})
    await ws.send_json({"type": "message", "id": "m1", "text": QUESTION})
    await ws.send_json({"type": "human"})
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] == "handoff" and frame.get("ticket"):
            return ws, frame["ticket"]


async def _console(app_client: Any, token: str) -> Any:
    ws = await app_client.ws_connect("/agent/ws", headers={"Authorization": f"Bearer {token}"})
    assert (await ws.receive_json(timeout=30))["type"] == "snapshot"
    return ws


async def _error(console: Any) -> dict[str, Any]:
    """The next error frame on the console (live pushes about tickets and messages are skipped)."""
    while True:
        frame = await console.receive_json(timeout=30)
        if frame["type"] == "error":
            return frame


async def _error_for(console: Any, frame: dict[str, Any]) -> dict[str, Any]:
    await console.send_json(frame)
    return await _error(console)


async def _stored(app_client: Any, ticket_id: int) -> tuple[int, int]:
    """(messages stored in the ticket's conversation, the conversation's next seq)."""
    async with app_client.app[SESSIONS]() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        count = await session.scalar(
            select(func.count()).select_from(Message).where(Message.conversation_id == ticket.conversation_id)
        )
        conv = await session.get(Conversation, ticket.conversation_id)
        assert conv is not None
        return int(count or 0), conv.next_seq


async def _pending(ws: Any, quiet: float = 0.5) -> list[dict[str, Any]]:
    """Every frame that arrives until the socket has been quiet for `quiet` seconds."""
    frames = []
    while True:
        try:
            frames.append(await ws.receive_json(timeout=quiet))
        except TimeoutError:
            return frames


async def test_agent_typing_reaches_the_web_customer_and_nothing_is_stored(
    app_client: Any, agent_headers: dict[str, str]
) -> None:
    token = agent_headers["Authorization"].removeprefix("Bearer ")
    customer, ticket_id = await _handoff(app_client, "typing-web")
    await _pending(customer)
    count, next_seq = await _stored(app_client, ticket_id)
    console = await _console(app_client, token)

    # An open ticket (still in the queue).
    await console.send_json({"type": "typing", "ticket": ticket_id})
    frame = await customer.receive_json(timeout=30)
    assert frame == {"type": "typing", "who": "agent", "seq": next_seq - 1}
    assert await _stored(app_client, ticket_id) == (count, next_seq)  # no message, no seq taken

    # Claimed and answered (waiting for the customer): the hint carries the reply's seq now.
    assert (await app_client.post(f"/api/tickets/{ticket_id}/claim", headers=agent_headers)).status == 200
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/messages", json={"text": "Nej, bara kort."}, headers=agent_headers
    )
    assert resp.status == 201
    reply = await resp.json()
    frames = await _pending(customer)
    assert [f["type"] for f in frames] == ["agent_message"]
    async with app_client.app[SESSIONS]() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status == "waiting_customer"
    await asyncio.sleep(1.1)  # one typing frame per ticket per second
    await console.send_json({"type": "typing", "ticket": ticket_id})
    frame = await customer.receive_json(timeout=30)
    assert frame == {"type": "typing", "who": "agent", "seq": reply["seq"]}
    count, next_seq = await _stored(app_client, ticket_id)
    assert next_seq == reply["seq"] + 1

    # The console got no answer to a typing frame that went through: the next thing it hears is the
    # error for the barrier.
    await console.send_json(BARRIER)
    frame = await console.receive_json(timeout=30)
    while frame["type"] in ("ticket", "message"):  # pushes from the claim and the reply
        frame = await console.receive_json(timeout=30)
    assert frame["type"] == "error" and frame["code"] == "invalid_ticket"
    assert await _stored(app_client, ticket_id) == (count, next_seq)
    await console.close()
    await customer.close()


async def test_bad_frames_get_errors_and_the_console_stays_usable(
    app_client: Any, make_user: Callable[..., Any]
) -> None:
    token = await make_user("agnes", "agent")
    customer, ticket_id = await _handoff(app_client, "typing-bad")
    await _pending(customer)
    count, next_seq = await _stored(app_client, ticket_id)
    console = await _console(app_client, token)

    cases: list[tuple[Any, str]] = [
        ({"type": "typing", "ticket": 999_999}, "not_found"),
        ({"type": "typing", "ticket": "abc"}, "invalid_ticket"),
        ({"type": "typing"}, "invalid_ticket"),
        ({"type": "typing", "ticket": True}, "invalid_ticket"),
        ({"type": "typing", "ticket": -1}, "invalid_ticket"),
        ({"type": "typing", "ticket": 2**70}, "invalid_ticket"),
        ({"type": "typing", "ticket": 1.5}, "invalid_ticket"),
        ({"type": "shout", "ticket": ticket_id}, "unknown_type"),
        ([1, 2], "invalid_json"),
    ]
    for frame, code in cases:
        await console.send_json(frame)
        error = await _error(console)
        assert error["code"] == code, (frame, error)
        assert error["message"]
    await console.send_str("{not json")
    assert (await _error(console))["code"] == "invalid_json"
    await console.send_bytes(b"\x00\x01")
    assert (await _error(console))["code"] == "binary_not_supported"
    not_found = await _error_for(console, {"type": "typing", "ticket": 999_998})
    assert not_found["ticket"] == 999_998

    # Still open and working: keep-alive, then a good typing frame reaches the customer.
    await console.send_str("ping")
    assert (await console.receive(timeout=30)).data == "pong"
    assert await _pending(customer) == []
    await console.send_json({"type": "typing", "ticket": ticket_id})
    assert await customer.receive_json(timeout=30) == {"type": "typing", "who": "agent", "seq": next_seq - 1}
    assert await _stored(app_client, ticket_id) == (count, next_seq)
    assert not console.closed
    await console.close()
    await customer.close()


async def test_a_resolved_ticket_is_refused(app_client: Any, agent_headers: dict[str, str]) -> None:
    token = agent_headers["Authorization"].removeprefix("Bearer ")
    customer, ticket_id = await _handoff(app_client, "typing-resolved")
    resp = await app_client.post(f"/api/tickets/{ticket_id}/resolve", json={}, headers=agent_headers)
    assert resp.status == 200
    while (await customer.receive_json(timeout=30))["type"] != "csat_request":
        pass
    await _pending(customer)
    stored = await _stored(app_client, ticket_id)
    console = await _console(app_client, token)

    error = await _error_for(console, {"type": "typing", "ticket": ticket_id})
    assert error["code"] == "conflict" and error["ticket"] == ticket_id
    assert "resolved" in error["message"]
    assert await _pending(customer) == []  # the customer sees no hint
    assert await _stored(app_client, ticket_id) == stored
    # The socket still answers.
    assert (await _error_for(console, BARRIER))["code"] == "invalid_ticket"
    await console.close()
    await customer.close()


async def test_typing_frames_are_rate_limited(app_client: Any, make_user: Callable[..., Any]) -> None:
    token = await make_user("agnes", "agent")
    customer, ticket_id = await _handoff(app_client, "typing-flood")
    await _pending(customer)
    console = await _console(app_client, token)

    # A flood for one ticket: one hint per second reaches the customer, the rest are dropped silently.
    started = time.monotonic()
    for _ in range(20):
        await console.send_json({"type": "typing", "ticket": ticket_id})
    assert (await _error_for(console, BARRIER))["code"] == "invalid_ticket"  # the flood was handled
    if (
        time.monotonic() - started < 0.9
    ):  # (a machine too loaded to handle 20 frames in a second lets more by)
        frames = await _pending(customer)
        assert [f["type"] for f in frames] == ["typing"]
    await asyncio.sleep(1.1)
    await _pending(customer, quiet=0.1)
    await console.send_json({"type": "typing", "ticket": ticket_id})
    assert (await customer.receive_json(timeout=30))["who"] == "agent"

    # Over all tickets (unknown ids cost a lookup each): five a second, then dropped without an answer.
    await asyncio.sleep(1.1)
    started = time.monotonic()
    for n in range(8):
        await console.send_json({"type": "typing", "ticket": 900_000 + n})
    await console.send_json(BARRIER)
    codes = []
    while True:
        frame = await _error(console)
        codes.append(frame["code"])
        if frame["code"] == "invalid_ticket":
            break
    if time.monotonic() - started < 0.9:
        assert codes == ["not_found"] * 5 + ["invalid_ticket"]
    await console.close()
    await customer.close()


# -- Slack customers ---------------------------------------------------------------------------------------
SECRET = "test-signing-secret"
AGENTS = "C_AGENTS"
CUSTOMER = "U_KUND"
DM = "D_KUND"


@pytest.fixture
def fake_slack(fake_slack: FakeSlackAPI) -> FakeSlackAPI:
    """The root conftest's fake Slack, with these tests' users."""
    fake_slack.add_user(CUSTOMER, email="kim@example.com", name="Kim Kund")
    return fake_slack


@pytest.fixture
async def slack_client(
    fake_slack: FakeSlackAPI, make_settings: Callable[..., Settings], aiohttp_client: Any
) -> Any:
    from bot.app import create_app

    settings = make_settings(
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SECRET,
            "agents_channel": AGENTS,
            "api_base_url": fake_slack.base_url,
        }
    )
    return await aiohttp_client(create_app(settings))


async def _slack_dm(client: Any, text: str, ts: str) -> None:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": "T_OURS",
            "api_app_id": "A_KUNDRESA",
            "type": "event_callback",
            "event_id": f"Ev{ts.replace('.', '')}",
            "event_time": int(time.time()),
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": DM,
                "user": CUSTOMER,
                "text": text,
                "ts": ts,
                "event_ts": ts,
            },
        }
    )
    stamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={signature}",
    }
    resp = await client.post("/slack/events", data=body.encode(), headers=headers)
    assert resp.status == 200, await resp.text()


async def test_a_slack_customer_gets_no_message_for_typing(
    slack_client: Any, fake_slack: FakeSlackAPI, make_user: Callable[..., Any]
) -> None:
    await _slack_dm(slack_client, "Kan jag betala med bitcoin hos er?", "1700000600.000100")
    await fake_slack.wait_for("chat.postMessage", channel=DM)
    await asyncio.wait_for(slack_client.app[SLACK].idle(), 30)
    await _slack_dm(slack_client, "jag vill prata med en människa", "1700000601.000100")
    await fake_slack.wait_for("chat.postMessage", channel=AGENTS)
    async with slack_client.app[SESSIONS]() as session:
        ticket = await session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))
        assert ticket is not None
        conv = await session.get(Conversation, ticket.conversation_id)
        assert conv is not None and conv.last_channel == "slack"
        ticket_id, conversation_id = ticket.id, ticket.conversation_id
    await asyncio.wait_for(slack_client.app[SLACK].idle(), 30)  # the handoff's own posts are done
    posted = len(fake_slack.calls_to("chat.postMessage", channel=DM))

    token = await make_user("agnes", "agent")
    console = await _console(slack_client, token)
    await console.send_json({"type": "typing", "ticket": ticket_id})
    assert (await _error_for(console, BARRIER))["code"] == "invalid_ticket"  # the typing frame was handled
    assert await slack_client.app[ROUTER].typing(conversation_id) is False  # not delivered on Slack
    await asyncio.sleep(0.3)
    assert len(fake_slack.calls_to("chat.postMessage", channel=DM)) == posted
    assert not [c for c in fake_slack.calls if "typing" in c.dump()]
    await console.close()


async def test_unknown_conversation_is_not_delivered(app_client: Any) -> None:
    assert await app_client.app[ROUTER].typing(987_654) is False
