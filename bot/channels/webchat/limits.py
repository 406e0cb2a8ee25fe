"""The web chat's rate limits: messages per conversation, connections per client address, per minute."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

__all__ = ["RateLimiter", "RateLimits"]


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
