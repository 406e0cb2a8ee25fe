"""bot/drain.py on the real app: a drain lets the turn in progress finish, then closes chat sockets with
1012; a socket asking meanwhile is refused with 503 (the real SIGTERM: tests/bot/test_crash_recovery.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from bot.app import DRAIN

ANSWERABLE = "hur lång är leveranstiden?"  # the demo knowledge base answers it
TIMEOUT = 20


async def test_a_drain_finishes_the_turn_then_closes_chat_sockets_with_1012(app_client: Any) -> None:
    """What SIGTERM does before the app shuts down (the real signal: tests/bot/test_crash_recovery.py)."""
    app = app_client.app
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": "draining"})
    await ws.send_json({"type": "message", "id": "m-1", "text": ANSWERABLE})
    assert (await ws.receive_json(timeout=TIMEOUT))["type"] == "ack"
    drain = asyncio.create_task(app[DRAIN].drain())  # while the answer is being worked out
    kinds = []
    while (msg := await ws.receive(timeout=TIMEOUT)).type == aiohttp.WSMsgType.TEXT:
        kinds.append(json.loads(msg.data)["type"])
    await drain
    assert "answer" in kinds, kinds  # the turn in progress finished on the open socket
    assert ws.close_code == 1012
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:  # draining: no new chat sockets
        await app_client.ws_connect("/ws/chat", params={"visitor": "late"})
    assert refused.value.status == 503


async def test_a_chat_socket_asking_while_draining_is_told_to_come_back(app_client: Any) -> None:
    app_client.app[DRAIN].draining = True
    try:
        resp = await app_client.get("/ws/chat", params={"visitor": "late"})
        assert resp.status == 503 and resp.headers["Retry-After"] == "1"
        assert (await resp.json())["error"]["code"] == "restarting"
    finally:
        app_client.app[DRAIN].draining = False
