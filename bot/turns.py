"""The bot's turns in progress in one process: what SIGTERM waits for, what recovery leaves alone."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Iterator

__all__ = ["Turns"]


class Turns:
    """The bot's turns in progress in this process: what SIGTERM waits for (bot/drain.py), and which stored
    messages are being answered here (crash recovery never answers those a second time)."""

    def __init__(self) -> None:
        self.messages: Counter[tuple[int, int]] = Counter()  # (conversation id, seq) being answered
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def track(self, message: tuple[int, int] | None = None) -> Iterator[None]:
        self.count += 1
        self._idle.clear()
        if message is not None:
            self.messages[message] += 1
        try:
            yield
        finally:
            self.count -= 1
            if message is not None:
                self.messages[message] -= 1
                if self.messages[message] <= 0:
                    del self.messages[message]
            if self.count == 0:
                self._idle.set()

    def answering(self, conversation_id: int, seq: int) -> bool:
        return (conversation_id, seq) in self.messages

    async def idle(self, seconds: float) -> bool:
        """Wait until no turn is in progress (True), or `seconds` (False)."""
        if self._idle.is_set():  # wait_for(…, 0) would time out even on a set event
            return True
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True
