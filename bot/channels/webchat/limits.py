"""The web chat's rate limits: messages per conversation, connections per client address, per minute;
and the pace at which one process takes new sockets at all (`SocketPacer`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Any

__all__ = ["LoopLag", "RateLimiter", "RateLimits", "SocketPacer"]


class RateLimiter:
    """At most `per_minute` messages in any 60 s window."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.times: deque[float] = deque()

    def allow(self) -> bool:
        now = time.monotonic()
        while self.times and now - self.times[0] > 60:
            self.times.popleft()
        if len(self.times) >= self.per_minute:
            return False
        self.times.append(now)
        return True


class RateLimits:
    """A `RateLimiter` per key (a conversation, a client address), forgetting keys idle for a minute."""

    def __init__(self) -> None:
        self._limiters: dict[Any, RateLimiter] = {}

    def get(self, key: Any, per_minute: int) -> RateLimiter:
        limiter = self._limiters.get(key)
        if limiter is None or limiter.per_minute != per_minute:
            if len(self._limiters) > 10_000:  # a full minute's history is all an idle one holds
                now = time.monotonic()
                idle = [k for k, lim in self._limiters.items() if not lim.times or now - lim.times[-1] > 60]
                for key_ in idle:
                    del self._limiters[key_]
            limiter = self._limiters[key] = RateLimiter(per_minute)
        return limiter

    def move(self, old: Any, new: Any) -> None:
        """`old`'s budget is `new`'s from now on (a visitor's first message made their conversation)."""
        limiter = self._limiters.pop(old, None)
        if limiter is not None and new not in self._limiters:
            self._limiters[new] = limiter


class LoopLag:
    """How late this process's event loop runs a timer right now: a ticker every `interval` seconds
    measures its own delay (rising at once, falling off smoothly). That delay is what every ready callback
    waits, a chat message's next step included."""

    def __init__(self, interval: float = 0.01) -> None:
        self.interval = interval
        self.seconds = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._tick(), name="kundresa-loop-lag")

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            began = loop.time()
            await asyncio.sleep(self.interval)
            late = max(0.0, loop.time() - began - self.interval)
            self.seconds = late if late > self.seconds else 0.7 * self.seconds + 0.3 * late

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class SocketPacer:
    """New chat sockets this process upgrades, at most `per_second` on average, `burst` at once; and, while
    the event loop runs late by more than `max_lag` seconds, at a tenth of that pace.

    A reconnect storm (a deploy, a network blip: every open widget reconnects within a second or two) is
    thousands of handshakes and resumes, each a little event-loop work; taken all at once they delay the
    answers of customers already chatting by hundreds of milliseconds. Paced, a new socket waits a
    moment for its upgrade instead (its HTTP request is read, nothing else is done), and conversations
    under way keep their speed. The lag gate makes the pace follow what the loop can spare: handshakes
    give way whenever answers queue behind them, and never stop altogether (a tenth of the pace still
    goes). `per_second` 0: no pacing; `max_lag` 0: no lag gate.
    """

    SLOW = 0.1  # the share of the pace that goes on while the loop runs late

    def __init__(self, per_second: float, burst: int, max_lag: float = 0.0) -> None:
        self.per_second = per_second
        self.burst = max(1, burst)
        self.max_lag = max_lag
        self.lag = LoopLag()
        self._tokens = float(self.burst)
        self._at = time.monotonic()
        self._slow_at = 0.0
        self._lock = asyncio.Lock()  # waiters are served in arrival order

    def late(self) -> bool:
        return self.max_lag > 0 and self.lag.seconds > self.max_lag

    async def admit(self) -> None:
        if self.per_second <= 0:
            return
        if self.max_lag > 0:
            self.lag.start()
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
                self._at = now
                if self.late():
                    # One socket every 1 / (SLOW × pace) s; the bucket waits for the loop to catch up.
                    wait = self._slow_at + 1 / (self.SLOW * self.per_second) - now
                    if wait <= 0:
                        self._slow_at = now
                        self._tokens = max(0.0, self._tokens - 1)
                        return
                    await asyncio.sleep(min(wait, self.lag.interval))
                    continue
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.per_second)

    async def close(self) -> None:
        await self.lag.close()
