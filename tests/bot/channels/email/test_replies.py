"""Replies by email: a customer who left an address and has left the chat gets the agent's reply by email
(a real SMTP server on 127.0.0.1, aiosmtpd), with a signed link that reopens the same conversation."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.channels.email import EMAIL_REPLIES
from config import Settings
from infra.app_keys import SESSIONS
from router.auth import create_user
from router.models import Conversation
from router.web import ROUTER
from tests.bot.smtp_sink import Sink, smtp_sink


@pytest.fixture
def sink() -> Any:
    with smtp_sink() as s:
        yield s


@pytest.fixture
def email_settings(
    demo_db_settings: Settings, make_settings: Callable[..., Settings], sink: Sink
) -> Settings:
    return make_settings(
        email={
            "host": "127.0.0.1",
            "port": sink.port,
            "starttls": False,
            "from_address": "Nordhem <support@nordhem.example>",
            "away_minutes": 0,
            "poll_seconds": 0.1,
            "link_url": "https://shop.example/kassa",
        }
    )


@pytest.fixture
async def client(aiohttp_client: Any, email_settings: Settings) -> AsyncIterator[Any]:
    from bot.app import create_app

    yield await aiohttp_client(create_app(email_settings))


async def frames_until(ws: Any, kind: str) -> list[dict[str, Any]]:
    seen = []
    while True:
        frame = await ws.receive_json(timeout=30)
        seen.append(frame)
        if frame["type"] == kind:
            return seen


# -- end to end --------------------------------------------------------------------------------------------
async def test_a_reply_to_a_customer_who_left_reaches_them_by_email_and_the_link_reopens_it(
    client: Any, sink: Sink
) -> None:
    ws = await client.ws_connect("/ws/chat", params={"visitor": "v-email-1", "status": "1", "lang": "sv"})
    await ws.send_json({"type": "resume", "after": 0})
    await frames_until(ws, "status")
    await ws.send_json({"type": "human"})
    handoff = (await frames_until(ws, "handoff"))[-1]
    status = (await frames_until(ws, "status"))[-1]
    assert status["owner"] == "agent" and status["queue"]["ticket"] == handoff["ticket"]
    assert status["queue"]["agents_online"] == 0 and status["queue"]["wait_minutes"] is None
    assert "ingen är tillgänglig just nu" in handoff["text"]  # honest: nobody is online
    assert "e-postadress" in handoff["text"]  # replies by email are on: the address is asked for

    await ws.send_json({"type": "email", "address": "inte en adress"})
    error = (await frames_until(ws, "error"))[-1]
    assert error["code"] == "invalid_email"
    await ws.send_json({"type": "email", "address": "Anna.Berg@Example.com"})
    saved = (await frames_until(ws, "notice"))[-1]
    assert saved["email"] == "An***@example.com" and "An***@example.com" in saved["text"]
    assert "Anna.Berg" not in saved["text"]
    status = (await frames_until(ws, "status"))[-1]
    assert status["reply_email"] == "An***@example.com"
    await ws.close()

    async with client.app[SESSIONS]() as session, session.begin():
        user, _ = await create_user(session, "Agnes", "agent")
        agent_id = user.id
    conv_id = await _conv_id(client, "v-email-1")
    for _ in range(100):  # the socket's close is noted in the background
        async with client.app[SESSIONS]() as session:
            conv = await session.get(Conversation, conv_id)
            if conv is not None and conv.away_since is not None:
                break
        await asyncio.sleep(0.05)
    assert conv is not None and conv.reply_email == "Anna.Berg@example.com" and conv.away_since is not None
    await client.app[ROUTER].tickets.reply(handoff["ticket"], agent_id, "Hej! Din **order** är på väg.")

    [(rcpt, mail)] = await sink.wait(1)
    assert rcpt == ["Anna.Berg@example.com"]
    assert mail["To"] == "Anna.Berg@example.com" and "support@nordhem.example" in mail["From"]
    assert f"#{handoff['ticket']}" in mail["Subject"]
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "Din **order** är på väg." in text and "Agnes" in text
    html_part = mail.get_body(("html",))
    assert html_part is not None and "<script" not in html_part.get_content()
    link = re.search(r"https://shop\.example/kassa\?kundresa_reopen=(\S+)", text)
    assert link, text

    # Emailed once: later rounds send nothing more.
    assert await client.app[EMAIL_REPLIES].sweep() == 0
    await asyncio.sleep(0.3)
    assert len(sink.messages) == 1

    # The link opens the same conversation on another device (another visitor id).
    ws = await client.ws_connect(
        "/ws/chat", params={"visitor": "v-other-device", "reopen": link.group(1), "status": "1"}
    )
    reopened = await ws.receive_json(timeout=10)
    assert reopened["type"] == "reopened" and reopened["visitor"] == "v-email-1"
    await ws.send_json({"type": "resume", "after": 0})
    replayed = await frames_until(ws, "status")
    assert any(f["type"] == "agent_message" and "på väg" in f["text"] for f in replayed), replayed
    await ws.close()

    # A tampered link is refused (the socket stays its own visitor's).
    token = link.group(1)
    ws = await client.ws_connect(
        "/ws/chat", params={"visitor": "v-third", "reopen": token[:-3] + "abc", "status": "1"}
    )
    error = await ws.receive_json(timeout=10)
    assert error["type"] == "error" and error["code"] == "invalid_link"
    await ws.send_json({"type": "resume", "after": 0})
    status = (await frames_until(ws, "status"))[-1]
    assert status["queue"] is None and status["owner"] == "bot"
    await ws.close()


async def test_no_email_while_the_customer_is_still_in_the_chat(client: Any, sink: Sink) -> None:
    ws = await client.ws_connect("/ws/chat", params={"visitor": "v-email-2", "status": "1"})
    await ws.send_json({"type": "human"})
    handoff = (await frames_until(ws, "handoff"))[-1]
    await ws.send_json({"type": "email", "address": "bo@example.com"})
    await frames_until(ws, "notice")
    async with client.app[SESSIONS]() as session, session.begin():
        user, _ = await create_user(session, "Bertil", "agent")
    await client.app[ROUTER].tickets.reply(handoff["ticket"], user.id, "Svar medan du är kvar")
    reply = (await frames_until(ws, "agent_message"))[-1]
    assert reply["text"] == "Svar medan du är kvar" and reply["at"]
    await client.app[EMAIL_REPLIES].sweep()
    await asyncio.sleep(0.3)
    assert sink.messages == []
    await ws.close()


async def _conv_id(client: Any, visitor: str) -> int:
    from sqlalchemy import select

    from router.models import ChannelIdentity

    async with client.app[SESSIONS]() as session:
        ident = await session.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.kind == "web_visitor", ChannelIdentity.external_id == visitor
            )
        )
        assert ident is not None
        conv = await session.scalar(select(Conversation).where(Conversation.customer_id == ident.customer_id))
        assert conv is not None
        return conv.id
