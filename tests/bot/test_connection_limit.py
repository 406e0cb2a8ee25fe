"""New chat sockets are limited per client address, so minted visitor ids cannot dodge the message limit."""

from __future__ import annotations

import uuid
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.channels.webchat import limits
from config import Settings
from infra.app_keys import SESSIONS
from router.models import Customer

TIMEOUT = 20


async def _open(client: TestClient, headers: dict[str, str] | None = None) -> Any:
    visitor = f"v-{uuid.uuid4().hex[:12]}"
    return await client.ws_connect("/ws/chat", params={"visitor": visitor}, headers=headers or {})


async def _greeted(ws: Any) -> None:
    """The socket works: a message is stored and acknowledged."""
    cid = uuid.uuid4().hex[:8]
    await ws.send_json({"type": "message", "id": cid, "text": "hej"})
    frame = await ws.receive_json(timeout=TIMEOUT)
    while frame["type"] != "ack":  # typing hints and earlier replies may come first
        assert frame["type"] in ("typing", "notice", "answer", "clarify"), frame
        frame = await ws.receive_json(timeout=TIMEOUT)
    assert frame["id"] == cid


async def _refused(ws: Any) -> None:
    frame = await ws.receive_json(timeout=TIMEOUT)
    assert (frame["type"], frame["code"]) == ("error", "rate_limited"), frame
    assert "minute" in frame["message"]
    msg = await ws.receive(timeout=TIMEOUT)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4429


async def _customers(client: TestClient) -> int:
    async with client.app[SESSIONS]() as session:
        return int(await session.scalar(select(func.count()).select_from(Customer)) or 0)


async def test_a_fourth_new_socket_in_a_minute_is_refused_and_makes_no_customer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = settings.model_copy(
        update={"chat": settings.chat.model_copy(update={"connections_per_minute_per_ip": 3})}
    )
    async with TestClient(TestServer(create_app(limited))) as client:
        before = await _customers(client)
        sockets = [await _open(client) for _ in range(3)]
        for ws in sockets:
            await _greeted(ws)
        await _refused(await _open(client))
        # Without a trusted proxy the header is the client's own claim: it changes nothing.
        await _refused(await _open(client, {"X-Forwarded-For": "203.0.113.9"}))
        assert await _customers(client) == before + 3
        await _greeted(sockets[0])  # the open ones stay usable
        # A minute later the address may connect again.
        real = limits.time.monotonic
        monkeypatch.setattr(limits.time, "monotonic", lambda: real() + 61)
        again = await _open(client)
        await _greeted(again)
        for ws in [*sockets, again]:
            await ws.close()


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(settings: Settings) -> None:
    proxied = settings.model_copy(
        update={
            "chat": settings.chat.model_copy(update={"connections_per_minute_per_ip": 1}),
            "server": settings.server.model_copy(update={"trusted_proxies": ["127.0.0.0/8"]}),
        }
    )
    async with TestClient(TestServer(create_app(proxied))) as client:
        first = await _open(client, {"X-Forwarded-For": "203.0.113.1"})
        await _greeted(first)
        await _refused(await _open(client, {"X-Forwarded-For": "203.0.113.1"}))
        other = await _open(client, {"X-Forwarded-For": "203.0.113.2"})
        await _greeted(other)
        # A client's own X-Forwarded-For entries sit to the left of what the proxy appended: ignored.
        await _refused(await _open(client, {"X-Forwarded-For": "198.51.100.7, 203.0.113.1"}))
        await first.close()
        await other.close()
