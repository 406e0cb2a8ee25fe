"""Chat sockets write nothing until the customer does something: rows come with the first message.

A burst of sockets (a busy shop page, every widget reconnecting after a deploy) used to write a customer and
a conversation each before its first frame; now a socket only looks its customer up (`router.lookup`).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.webchat import sign_user
from config import Settings
from infra.app_keys import SESSIONS
from router.models import ChannelIdentity, Conversation, Customer, Message
from router.web import ROUTER

TIMEOUT = 30
SECRET = "test-identity-secret"


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    # No knowledge base needed (greetings and "talk to a person"): the app starts in a second or two.
    return make_settings(server={"load_demo_kb": False})


async def counts(client: Any) -> tuple[int, int, int]:
    async with client.app[SESSIONS]() as session:
        return tuple(  # type: ignore[return-value]
            [
                int(await session.scalar(select(func.count()).select_from(model)) or 0)
                for model in (Customer, ChannelIdentity, Conversation)
            ]
        )


async def until(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=TIMEOUT)
        if frame["type"] == kind:
            return frame


async def test_sockets_write_no_rows_until_the_first_message(app_client: Any) -> None:
    before = await counts(app_client)
    visitors = [f"lazy-{uuid.uuid4().hex[:10]}" for _ in range(40)]
    sockets = await asyncio.gather(
        *(app_client.ws_connect("/ws/chat", params={"visitor": v}) for v in visitors)
    )
    # What the widget does on open: resume from 0 (nothing to replay for a new visitor).
    for ws in sockets:
        await ws.send_json({"type": "resume", "after": 0})
        await ws.send_json({"type": "sentinel"})
    for ws in sockets:
        assert (await ws.receive_json(timeout=TIMEOUT))["code"] == "unknown_type"  # nothing before it
    assert await counts(app_client) == before

    first = sockets[0]
    await first.send_json({"type": "message", "id": "m1", "text": "hej"})
    ack = await until(first, "ack")
    assert ack["seq"] == 1
    assert await counts(app_client) == (before[0] + 1, before[1] + 1, before[2] + 1)
    for ws in sockets:
        await ws.close()


async def test_a_returning_visitor_resumes_without_a_write_and_gets_live_replies(app_client: Any) -> None:
    visitor = f"back-{uuid.uuid4().hex[:10]}"
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": visitor})
    await ws.send_json({"type": "message", "id": "m1", "text": "hej"})
    answer = await until(ws, "notice")
    await ws.close()
    async with app_client.app[SESSIONS]() as session:
        seen = await session.scalar(
            select(ChannelIdentity.last_seen_at).where(ChannelIdentity.external_id == visitor)
        )

    ws = await app_client.ws_connect("/ws/chat", params={"visitor": visitor})
    await ws.send_json({"type": "resume", "after": 0})
    replayed = [await ws.receive_json(timeout=TIMEOUT) for _ in range(2)]
    assert [f["type"] for f in replayed] == ["message", "notice"]
    assert replayed[1] == answer
    async with app_client.app[SESSIONS]() as session:
        assert (
            await session.scalar(
                select(ChannelIdentity.last_seen_at).where(ChannelIdentity.external_id == visitor)
            )
            == seen
        )  # read-only: not even "last seen" was written
        conv_id = await session.scalar(select(Message.conversation_id).where(Message.client_id == "m1"))
    # A reply stored now (an agent's, say) reaches the socket that has not sent anything yet.
    router = app_client.app[ROUTER]
    stored = await router.send(conv_id, {"type": "notice", "text": "Hej igen!"})
    assert await ws.receive_json(timeout=TIMEOUT) == stored
    await ws.close()


async def test_a_new_visitor_signing_in_makes_one_customer_on_the_first_message(app_client: Any) -> None:
    before = await counts(app_client)
    user = f"shop-{uuid.uuid4().hex[:8]}"
    params = {"visitor": f"v-{uuid.uuid4().hex[:10]}", "user": user, "sig": sign_user(user, SECRET)}
    tabs = [await app_client.ws_connect("/ws/chat", params=params) for _ in range(2)]
    for ws in tabs:
        await ws.send_json({"type": "sentinel"})
        assert (await ws.receive_json(timeout=TIMEOUT))["code"] == "unknown_type"
    assert await counts(app_client) == before
    await tabs[0].send_json({"type": "human"})
    handoff = await until(tabs[0], "handoff")
    assert await until(tabs[1], "handoff") == handoff  # the other tab, bound by the first one's action
    customers, identities, conversations = await counts(app_client)
    assert (customers, identities, conversations) == (before[0] + 1, before[1] + 2, before[2] + 1)
    for ws in tabs:
        await ws.close()
