"""In-process publish/subscribe: agent consoles and sockets listen to topics."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("kundresa.events")
Listener = Callable[[str, dict[str, Any]], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = defaultdict(set)

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        self._listeners[topic].add(listener)
        return lambda: self._listeners[topic].discard(listener)

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        for listener in list(self._listeners.get(topic, ())):
            try:
                await listener(topic, data)
            except Exception:  # a broken listener must not stop the others
                log.exception("listener on %s failed", topic)

    def publish_soon(self, topic: str, data: dict[str, Any]) -> None:
        asyncio.get_running_loop().create_task(self.publish(topic, data))
