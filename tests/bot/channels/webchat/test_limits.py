"""bot/channels/webchat/limits.py: the pace of new sockets (`SocketPacer`), alone and in the real app."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.webchat.limits import RateLimiter, SocketPacer
from config import Settings


async def test_the_pacer_lets_a_burst_through_then_keeps_the_pace() -> None:
    pacer = SocketPacer(per_second=50, burst=5)
    start = time.monotonic()
    for _ in range(5):
        await pacer.admit()
    assert time.monotonic() - start < 0.05  # the burst: at once
    for _ in range(10):
        await pacer.admit()
    # ten more at 50 a second: about 0.2 s (the bucket was empty)
    assert 0.17 <= time.monotonic() - start < 1.0


async def test_waiters_are_admitted_in_arrival_order() -> None:
    pacer = SocketPacer(per_second=100, burst=1)
    order: list[int] = []

    async def one(i: int) -> None:
        await pacer.admit()
        order.append(i)

    tasks = []
    for i in range(8):
        tasks.append(asyncio.create_task(one(i)))
        await asyncio.sleep(0)  # arrive one after another
    await asyncio.gather(*tasks)
    assert order == list(range(8))


async def test_no_pacing_when_off() -> None:
    pacer = SocketPacer(per_second=0, burst=1)
    start = time.monotonic()
    for _ in range(1000):
        await pacer.admit()
    assert time.monotonic() - start < 0.5


def test_the_rate_limiter_counts_a_minute() -> None:
    limiter = RateLimiter(per_minute=2)
    assert limiter.allow() and limiter.allow()
    assert not limiter.allow()


async def test_the_app_paces_new_chat_sockets_as_set(settings: Settings) -> None:
    chat = settings.chat.model_copy(
        update={"new_sockets_per_second": 20.0, "new_sockets_burst": 2, "connections_per_minute_per_ip": 0}
    )
    app = create_app(settings.model_copy(update={"chat": chat}))
    async with TestClient(TestServer(app)) as client:
        start = time.monotonic()
        sockets = [
            await client.ws_connect("/ws/chat", params={"visitor": f"v-{uuid.uuid4().hex[:12]}"})
            for _ in range(8)
        ]
        elapsed = time.monotonic() - start
        for ws in sockets:
            await ws.close()
    # two at once, six more at 20 a second: at least ~0.3 s; unpaced this takes a few milliseconds
    assert elapsed >= 0.27, elapsed
