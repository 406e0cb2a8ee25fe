"""router/events.py: the in-process bus; bridges get what is published here, not what came from them;
a failing listener or bridge stops nobody else."""

from __future__ import annotations

from typing import Any

import pytest

from router.events import EventBus


async def test_listeners_bridges_and_unsubscribing(caplog: pytest.LogCaptureFixture) -> None:
    bus, got, forwarded = EventBus(), [], []

    async def listener(topic: str, data: dict[str, Any]) -> None:
        got.append((topic, data["n"]))

    async def broken(topic: str, data: dict[str, Any]) -> None:
        raise RuntimeError("a broken listener")

    async def bridge(topic: str, data: dict[str, Any]) -> None:
        forwarded.append((topic, data["n"]))

    async def broken_bridge(topic: str, data: dict[str, Any]) -> None:
        raise OSError("the other processes are away")

    bus.subscribe("tickets", broken)
    stop = bus.subscribe("tickets", listener)
    bus.bridge(broken_bridge)
    detach = bus.bridge(bridge)
    await bus.publish("tickets", {"n": 1})
    await bus.publish_local("tickets", {"n": 2})  # from another process: not sent back out
    await bus.publish("conversation", {"n": 3})  # nobody listens here; still bridged
    assert got == [("tickets", 1), ("tickets", 2)]
    assert forwarded == [("tickets", 1), ("conversation", 3)]
    assert "listener on tickets failed" in caplog.text and "bridge failed to forward tickets" in caplog.text
    stop()
    detach()
    detach()  # twice is harmless
    await bus.publish("tickets", {"n": 4})
    assert got == [("tickets", 1), ("tickets", 2)] and forwarded == [("tickets", 1), ("conversation", 3)]
