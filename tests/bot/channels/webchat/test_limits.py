"""bot/channels/webchat/limits.py: the pace of new sockets (`SocketPacer`), alone and in the real app."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.webchat.limits import LoopLag, RateLimiter, SocketPacer
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


async def test_loop_lag_sees_a_blocked_loop_and_forgets_it() -> None:
    lag = LoopLag(interval=0.01)
    lag.start()

    async def settles_below(seconds: float) -> bool:
        # On a loaded machine the loop runs late now and then by itself (other processes, a GC pause):
        # what matters is that the reading falls back once it is on time.
        for _ in range(300):
            await asyncio.sleep(0.01)  # the ticker runs meanwhile (at least one tick of it)
            if lag.seconds < seconds:
                return True
        return False

    try:
        await asyncio.sleep(0.1)
        assert await settles_below(0.02)  # an idle loop is on time
        time.sleep(0.08)  # noqa: ASYNC251  (the point: the loop is blocked)
        # Read at once after the ticker's first wake-up: the smoothing takes 30 % off at each later tick,
        # and on a loaded machine a fixed wait here could span several.
        peak = 0.0
        for _ in range(4):
            await asyncio.sleep(0.002)
            peak = max(peak, lag.seconds)
        assert peak >= 0.05
        assert await settles_below(0.01)  # smoothed away once the loop is on time again
    finally:
        await lag.close()


async def test_while_the_loop_runs_late_new_sockets_go_at_a_tenth_of_the_pace() -> None:
    pacer = SocketPacer(per_second=100, burst=50, max_lag=0.005)
    admitted: list[float] = []
    blocking = True

    async def busy_loop() -> None:  # answers queued behind work: the loop runs ~20 ms late all along
        while blocking:
            time.sleep(0.02)  # noqa: ASYNC251
            await asyncio.sleep(0.001)

    busy = asyncio.create_task(busy_loop())
    try:
        await asyncio.sleep(0.1)
        assert pacer.late() is False  # the gate starts with the first socket
        start = time.monotonic()
        await pacer.admit()
        await asyncio.sleep(0.05)
        assert pacer.late()
        while time.monotonic() - start < 0.5:
            await pacer.admit()
            admitted.append(time.monotonic() - start)
    finally:
        blocking = False
        await busy
        await pacer.close()
    # unlate, the full bucket of 50 would have gone at once; late, about 10 a second
    assert 3 <= len(admitted) <= 9, admitted
    # once the loop is on time again, the bucket's burst goes at once
    pacer = SocketPacer(per_second=100, burst=50, max_lag=0.005)
    start = time.monotonic()
    for _ in range(20):
        await pacer.admit()
    assert time.monotonic() - start < 0.1
    await pacer.close()


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
