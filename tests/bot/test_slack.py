"""Slack through the real app: signed requests to /slack/events, a fake Slack Web API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from fakes.slack_api import BOT_ID, TEAM_ID, FakeSlackAPI
from fakes.slack_events import CUSTOMER, DM, SECRET, dm, event_body, next_id, post_signed
from pydantic import SecretStr
from sqlalchemy import select

from bot.app import create_app
from bot.channels.slack import SLACK, SlackIntegration
from bot.channels.webchat import sign_user
from config import ConfigError, Settings, load_settings
from infra.app_keys import SESSIONS
from router.models import ChannelIdentity, Message, Ticket, User

AGENTS = "C_AGENTS"
AGENT = "U_AGENT"
QUESTION = "Hur betalar jag med Swish?"
HUMAN = "jag vill prata med en människa"


# -- fixtures ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def kb_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the demo knowledge base imported and embedded once; every test starts from a copy."""
    folder = tmp_path_factory.mktemp("slack-kb")
    settings = load_settings(
        environ={},
        model={"worker": "thread"},
        database={"url": f"sqlite+aiosqlite:///{folder}/kundresa.db"},
        chat={"identity_secret": "x"},
    )

    async def build() -> None:
        runner = web.AppRunner(create_app(settings))
        await runner.setup()
        await runner.cleanup()

    asyncio.run(build())
    return folder


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackAPI]:
    fake = FakeSlackAPI()
    await fake.start()
    fake.add_user(CUSTOMER, email="kim@example.com", name="Kim Kund")
    fake.add_user(AGENT, email="sven@shop.example", name="Sven Agent")
    yield fake
    await fake.close()


@pytest.fixture
def slack_settings(
    make_settings: Callable[..., Settings], fake_slack: FakeSlackAPI, kb_template: Path, tmp_path: Path
) -> Settings:
    for path in kb_template.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return make_settings(
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SECRET,
            "agents_channel": AGENTS,
            "api_base_url": fake_slack.base_url,
        }
    )


@pytest.fixture
async def client(fake_slack: FakeSlackAPI, slack_settings: Settings, aiohttp_client: Any) -> Any:
    # aiohttp_client last: the app closes (finishing its Slack work) before the fake Slack does
    return await aiohttp_client(create_app(slack_settings))


# -- helpers ------------------------------------------------------------------------------------------------
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


# -- signatures ---------------------------------------------------------------------------------------------
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


# -- customers ----------------------------------------------------------------------------------------------
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


async def test_slack_handoff_console_reply_resolve_and_csat(
    client: Any, fake_slack: FakeSlackAPI, agent_headers: dict[str, str]
) -> None:
    await send_event(client, dm("Kan jag betala med bitcoin hos er?", "1700000500.000100"))
    await fake_slack.wait_for("chat.postMessage", channel=DM)
    await idle(client)
    await send_event(client, dm(HUMAN, "1700000501.000100"))
    [post] = await fake_slack.wait_for("chat.postMessage", channel=AGENTS)
    assert "bitcoin" in post.dump() and "Kim Kund" in post.dump()
    actions = [
        e["action_id"] for b in post.params["blocks"] for e in b.get("elements", []) if "action_id" in e
    ]
    assert actions == ["kundresa_claim", "kundresa_resolve"]
    ticket = await ticket_of(client)
    refs = await slack_post_of(client, ticket.id)
    assert (refs["channel"], refs["ts"]) == (AGENTS, post.response["ts"])

    # A reply in the console reaches the customer's Slack thread.
    resp = await client.post(
        f"/api/tickets/{ticket.id}/messages", json={"text": "Tyvärr inte."}, headers=agent_headers
    )
    assert resp.status == 201
    reply = (await fake_slack.wait_for("chat.postMessage", lambda c: "Tyvärr inte." in c.dump(), channel=DM))[
        0
    ]
    assert reply.params["thread_ts"] == "1700000501.000100"
    assert "*agnes:*" in reply.dump()

    mirrored = await fake_slack.wait_for(
        "chat.postMessage", lambda c: "Tyvärr inte." in c.dump(), channel=AGENTS
    )
    assert "(console)" in mirrored[0].dump() and mirrored[0].params["thread_ts"] == post.response["ts"]

    # The customer answers; it shows in the ticket's thread.
    await send_event(client, dm("Okej, tack ändå", "1700000502.000100"))
    mirrored = await fake_slack.wait_for(
        "chat.postMessage", lambda c: "Okej, tack ändå" in c.dump(), channel=AGENTS
    )
    assert mirrored[0].params["thread_ts"] == post.response["ts"]

    # /kundresa resolve in the agents' channel: the newest open ticket there; the customer is asked for CSAT.
    await command(client, "resolve saker-betalning")
    csat = (
        await fake_slack.wait_for("chat.postMessage", lambda c: "kundresa_csat_5" in c.dump(), channel=DM)
    )[0]
    await idle(client)
    resolved = await ticket_of(client, id=ticket.id)
    assert resolved.status == "resolved" and resolved.resolved_article_slug == "saker-betalning"
    assert fake_slack.calls_to("chat.update", channel=AGENTS, ts=post.response["ts"])
    await action(
        client, CUSTOMER, DM, "kundresa_csat_5", "5", ts=csat.response["ts"], thread_ts="1700000501.000100"
    )
    await idle(client)
    assert (await ticket_of(client, id=ticket.id)).csat == 5


# -- agents on Slack, customers on the web ------------------------------------------------------------------
async def test_agent_thread_reply_reaches_web_customer_and_notes_stay_internal(
    client: Any, fake_slack: FakeSlackAPI
) -> None:
    ws = await client.ws_connect(
        "/ws/chat", params={"visitor": "web-1", "context": '{"step":"payment","order_id":"NH-7"}'}
    )
    await ws.send_json({"type": "message", "id": "m1", "text": HUMAN})
    handoff = await next_frame(ws, "notice")
    assert handoff["type"] == "handoff"
    [post] = await fake_slack.wait_for("chat.postMessage", channel=AGENTS)
    assert HUMAN in post.dump() and "NH-7" in post.dump()
    refs = await slack_post_of(client, handoff["ticket"])
    thread = refs["ts"]

    reply = {
        "type": "message",
        "channel": AGENTS,
        "channel_type": "channel",
        "user": AGENT,
        "thread_ts": thread,
    }
    await send_event(client, {**reply, "text": "// kolla ordern i Klarna först", "ts": "1700000600.000100"})
    await idle(client)
    await send_event(client, {**reply, "text": "Hej! Jag hjälper dig.", "ts": "1700000601.000100"})
    frame = await next_frame(ws)
    assert frame["type"] == "agent_message"  # not the note: that never reaches the customer
    assert frame["text"] == "Hej! Jag hjälper dig." and frame["agent"] == "Sven Agent"
    await idle(client)
    async with client.app[SESSIONS]() as session:
        notes = list(await session.scalars(select(Message).where(Message.kind == "note")))
        assert [(n.text, n.internal) for n in notes] == [("kolla ordern i Klarna först", True)]
        agent = await session.scalar(select(User).where(User.slack_user_id == AGENT))
        assert agent is not None and agent.role == "agent"
    ticket = await ticket_of(client, id=handoff["ticket"])
    assert ticket.assignee_id == agent.id and ticket.first_response_at is not None
    # Agents' own thread replies are not mirrored back into the thread.
    assert not [
        c for c in fake_slack.calls_to("chat.postMessage", channel=AGENTS) if "Jag hjälper" in c.dump()
    ]
    await ws.close()


async def test_claim_button_and_commands_with_ticket_id(client: Any, fake_slack: FakeSlackAPI) -> None:
    ws = await client.ws_connect("/ws/chat", params={"visitor": "web-2"})
    await ws.send_json({"type": "message", "id": "m1", "text": HUMAN})
    handoff = await next_frame(ws, "notice")
    ticket_id = handoff["ticket"]
    refs = await slack_post_of(client, ticket_id)
    await action(client, AGENT, AGENTS, "kundresa_claim", str(ticket_id), ts=refs["ts"])
    await fake_slack.wait_for("chat.update", lambda c: "Claimed by Sven Agent" in c.dump(), ts=refs["ts"])
    assert (await ticket_of(client, id=ticket_id)).status == "assigned"
    await command(client, f"resolve {ticket_id} no-such-article")
    [told] = await fake_slack.wait_for("chat.postEphemeral", user=AGENT)
    assert "no-such-article" in told.dump()
    assert (await ticket_of(client, id=ticket_id)).status == "assigned"
    await command(client, f"resolve #{ticket_id}")
    assert (await next_frame(ws))["type"] == "csat_request"
    await idle(client)
    assert (await ticket_of(client, id=ticket_id)).status == "resolved"
    await ws.close()


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


# -- modes and settings -------------------------------------------------------------------------------------
async def test_socket_mode_uses_the_same_listeners_as_http_mode(
    make_settings: Callable[..., Settings],
) -> None:
    base = {"bot_token": "xoxb-test", "signing_secret": SECRET, "api_base_url": "http://127.0.0.1:9/api/"}
    http = SlackIntegration(make_settings(slack=base), None, None, None)  # type: ignore[arg-type]
    sock = SlackIntegration(
        make_settings(slack={**base, "socket_mode": True, "app_token": "xapp-test"}),
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
    )

    def described(integration: SlackIntegration) -> list[tuple[str, int]]:
        return [(lst.ack_function.__name__, len(lst.matchers)) for lst in integration.bolt._async_listeners]

    assert described(http) == described(sock)
    assert [name for name, _ in described(http)] == http.listeners == sock.listeners
    assert "on_message" in http.listeners and "on_command" in http.listeners
    handler = sock.make_socket_handler()
    try:
        assert handler.app is sock.bolt
        assert handler.client.web_client is sock.client
    finally:
        await handler.close_async()
    # HTTP 429 is not slept through inside a call: the stored work is retried after Retry-After.
    retry = [type(h).__name__ for h in http.client.retry_handlers]
    assert "AsyncRateLimitErrorRetryHandler" not in retry


async def test_socket_mode_end_to_end(
    fake_slack: FakeSlackAPI, slack_settings: Settings, aiohttp_client: Any
) -> None:
    """Over the socket: the event is acked on the socket and answered like in HTTP mode; no HTTP endpoint."""
    settings = slack_settings.model_copy(
        update={
            "slack": slack_settings.slack.model_copy(
                update={"socket_mode": True, "app_token": SecretStr("xapp-test"), "signing_secret": None}
            )
        }
    )
    client = await aiohttp_client(create_app(settings))
    body = json.loads(event_body(dm(QUESTION, "1700000800.000100"), "EvSOCKET"))
    envelope = {
        "envelope_id": "env-1",
        "type": "events_api",
        "accepts_response_payload": False,
        "payload": body,
    }
    await fake_slack.socket_send(envelope)
    await fake_slack.socket_send({**envelope, "envelope_id": "env-2", "retry_attempt": 1})
    [reply] = await fake_slack.wait_for("chat.postMessage", channel=DM)
    assert reply.params["thread_ts"] == "1700000800.000100"
    await idle(client)
    assert {a.get("envelope_id") for a in fake_slack.socket_acks} >= {"env-1", "env-2"}
    assert len(fake_slack.calls_to("chat.postMessage", channel=DM)) == 1
    resp = await post_signed(client, event_body(dm(QUESTION, "1700000801.000100")))
    assert resp.status == 404


def test_slack_settings_are_checked_when_the_app_is_built(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError, match="signing_secret"):
        create_app(make_settings(slack={"bot_token": "xoxb-test"}))
    with pytest.raises(ConfigError, match="app_token"):
        create_app(make_settings(slack={"bot_token": "xoxb-test", "socket_mode": True}))
    app = create_app(make_settings())
    assert not [r for r in app.router.routes() if r.resource and r.resource.canonical == "/slack/events"]
