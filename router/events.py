"""Publish/subscribe: agent consoles and sockets listen to topics.

Listeners are in-process. A bridge (`router.pg_events.PgEventBridge` on PostgreSQL) makes the bus span every
process of a deployment: `publish` also hands each event to the bridges, which send it to the other
processes; events arriving from those go through `publish_local`, so they are never sent back out.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("kundresa.events")
Listener = Callable[[str, dict[str, Any]], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._listeners: dict[str, set[Listener]] = defaultdict(set)
        self._bridges: list[Listener] = []

    def subscribe(self, topic: str, listener: Listener) -> Callable[[], None]:
        self._listeners[topic].add(listener)
        return lambda: self._listeners[topic].discard(listener)

    def bridge(self, forward: Listener) -> Callable[[], None]:
        """Also hand every event published here (not those from `publish_local`) to `forward`."""
        self._bridges.append(forward)

        def detach() -> None:
            if forward in self._bridges:
                self._bridges.remove(forward)

        return detach

    async def publish(self, topic: str, data: dict[str, Any]) -> None:
        """An event that happened in this process: to the bridges, then to this process's listeners."""
        for forward in list(self._bridges):
            try:
                await forward(topic, data)
            except Exception:  # the other processes miss it; this one must not
                log.exception("bridge failed to forward %s", topic)
        await self.publish_local(topic, data)

    async def publish_local(self, topic: str, data: dict[str, Any]) -> None:
        """To this process's listeners only (what a bridge calls for events from other processes)."""
        for listener in list(self._listeners.get(topic, ())):
            try:
                await listener(topic, data)
            except Exception:  # a broken listener must not stop the others
                log.exception("listener on %s failed", topic)

