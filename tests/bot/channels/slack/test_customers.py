"""bot/channels/slack/customers.py: Slack customers in DMs and shared channels, answered once, in thread;
clarify buttons, edits, one customer across web and Slack by verified email."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.channels.webchat import sign_user
from infra.app_keys import SESSIONS
from router.models import ChannelIdentity, Message
from tests.bot.channels.slack.slack_app import (
    AGENT,
    QUESTION,
    action,
    idle,
    next_frame,
    send_event,
)
from tests.fakes.slack_api import TEAM_ID, FakeSlackAPI
from tests.fakes.slack_events import CUSTOMER, DM, dm


async def test_dm_is_answered_in_thread_once_though_slack_retries(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    event = dm(QUESTION, "1700000100.000100")
    await send_event(client, event, "EvSAME")
    await send_event(client, event, "EvSAME", retry=1)
    await send_event(client, event, "EvSAME", retry=2)
    [reply] = await fake_slack.wait_for("chat.postMessage", channel=DM)
    await idle(client)
    assert reply.params["thread_ts"] == "1700000100.000100"
    assert "Swish" in reply.dump()
    assert len(fake_slack.calls_to("chat.postMessage", channel=DM)) == 1
    async with client.app[SESSIONS]() as session:
        stored = list(await session.scalars(select(Message).where(Message.direction == "in")))
        assert [m.text for m in stored] == [QUESTION]
        assert stored[0].channel == "slack"
        ident = await session.scalar(select(ChannelIdentity).filter_by(kind="email"))
        assert ident is not None and ident.external_id == "kim@example.com" and ident.verified


async def test_rate_limited_reply_is_retried_and_arrives(client: Any, fake_slack: FakeSlackAPI) -> None:
    fake_slack.rate_limit("chat.postMessage", 1)
    await send_event(client, dm(QUESTION, "1700000200.000100"))
    [reply] = await fake_slack.wait_for("chat.postMessage", channel=DM)
    assert reply.params["thread_ts"] == "1700000200.000100"
    limited = [c for c in fake_slack.calls if c.method == "chat.postMessage" and c.status == 429]
    assert len(limited) == 1 and limited[0].params["channel"] == DM


async def test_shared_channels_answer_the_other_organisation_only(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    fake_slack.channels["C_SHARED"] = {"id": "C_SHARED", "is_ext_shared": True}
    fake_slack.add_user("U_THEM", email="buyer@customer.example", name="Bo Buyer", team_id="T_THEM")
    base = {"type": "message", "channel_type": "channel", "text": QUESTION}
    await send_event(client, {**base, "channel": "C_INTERNAL", "user": "U_THEM", "ts": "1700000900.000100"})
    colleague = {**base, "channel": "C_SHARED", "user": AGENT, "user_team": TEAM_ID}
    await send_event(client, {**colleague, "ts": "1700000901.000100"})
    await send_event(
        client,
        {**base, "channel": "C_SHARED", "user": "U_THEM", "user_team": "T_THEM", "ts": "1700000902.000100"},
    )
    [reply] = await fake_slack.wait_for("chat.postMessage", channel="C_SHARED")
    await idle(client)
    assert reply.params["thread_ts"] == "1700000902.000100"
    assert [c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")] == ["C_SHARED"]


async def test_clarify_buttons_and_edits(client: Any, fake_slack: FakeSlackAPI) -> None:
    """Choosing an article by button answers in the same thread; an edit is stored, not answered."""
    await send_event(client, dm("hej", "1700000400.000100"))
    await fake_slack.wait_for("chat.postMessage", channel=DM)
    await action(
        client,
        CUSTOMER,
        DM,
        "kundresa_choose",
        "swish-betalning",
        ts="1700000401.000001",
        thread_ts="1700000400.000100",
    )
    [_, answer] = await fake_slack.wait_for("chat.postMessage", count=2, channel=DM)
    assert answer.params["thread_ts"] == "1700000400.000100"
    assert answer.params["blocks"][0]["text"]["text"].startswith("*")  # the title in bold
    assert any(
        e.get("action_id") == "kundresa_human" for b in answer.params["blocks"] for e in b.get("elements", [])
    )
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel_type": "im",
        "channel": DM,
        "ts": "1700000402.000100",
        "message": {"user": CUSTOMER, "text": "hej igen", "ts": "1700000400.000100", "edited": {"ts": "1"}},
        "previous_message": {"user": CUSTOMER, "text": "hej", "ts": "1700000400.000100"},
    }
    await send_event(client, edit)
    await idle(client)
    assert len(fake_slack.calls_to("chat.postMessage", channel=DM)) == 2
    async with client.app[SESSIONS]() as session:
        texts = list(await session.scalars(select(Message.text).where(Message.direction == "in")))
    assert texts == ["hej", "(ändrat / edited) hej igen"]


async def test_same_verified_email_on_web_and_slack_is_one_customer(
    client: Any, fake_slack: FakeSlackAPI, agent_headers: dict[str, str]
) -> None:
    secret = "test-identity-secret"
    signed = {"user": "shop-42", "sig": sign_user("shop-42", secret)}
    # The shop vouches for the email too (`email_sig`), as the web chat asks.
    signed |= {"email": "Kim@Example.com", "email_sig": sign_user("kim@example.com", secret)}
    ws = await client.ws_connect("/ws/chat", params={"visitor": "web-3", **signed})
    await ws.send_json({"type": "message", "id": "m1", "text": QUESTION})
    await next_frame(ws, "notice")
    await ws.close()
    await send_event(client, dm("Och kan jag betala med faktura?", "1700000700.000100"))
    await fake_slack.wait_for("chat.postMessage", channel=DM)
    await idle(client)
    async with client.app[SESSIONS]() as session:
        owners = {i.kind: i.customer_id for i in await session.scalars(select(ChannelIdentity))}
    assert owners["web_user"] == owners["slack_user"] == owners["email"]
    resp = await client.get(f"/api/customers/{owners['slack_user']}/timeline", headers=agent_headers)
    body = await resp.json()
    channels = [m["channel"] for m in body["messages"] if m["direction"] == "in"]
    assert channels == ["web", "slack"]
    assert len({m["conversation_id"] for m in body["messages"]}) == 1
