"""Every process's search index follows article changes made through any process of a deployment.

A write through one process's `KnowledgeBase` is announced on the event bus (topic `knowledge`, which the
PostgreSQL bridge carries to the other processes); each other process reindexes the same slugs from the
database. Without this, an article saved through one process would be answered only by that process.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from knowledge import KnowledgeBase
from router.events import EventBus

__all__ = ["TOPIC", "share_knowledge_changes"]

TOPIC = "knowledge"


def share_knowledge_changes(kb: KnowledgeBase, bus: EventBus) -> Callable[[], None]:
    """Wire `kb` to `bus` both ways; returns the function that unwires it."""
    origin = uuid.uuid4().hex  # this KnowledgeBase: its own announcements come back through the bus

    async def announce(slugs: list[str]) -> None:
        await bus.publish(TOPIC, {"origin": origin, "slugs": slugs})

    async def follow(_topic: str, data: dict[str, Any]) -> None:
        if data.get("origin") != origin:
            await kb.reindex([str(s) for s in data.get("slugs", [])])

    remove = kb.on_change(announce)
    unsubscribe = bus.subscribe(TOPIC, follow)

    def unwire() -> None:
        remove()
        unsubscribe()

    return unwire
