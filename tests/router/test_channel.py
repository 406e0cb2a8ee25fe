"""router/channel.py: the Channel Protocol and the registry the router delivers through."""

from __future__ import annotations

from typing import Any

from router.channel import Channel, ChannelRegistry


class Pigeon:
    name = "pigeon"

    async def deliver(self, conversation_id: int, address: dict[str, Any], frame: dict[str, Any]) -> bool:
        return True


def test_registry_finds_channels_by_name() -> None:
    registry = ChannelRegistry()
    pigeon = Pigeon()
    registry.register(pigeon)
    assert registry.get("pigeon") is pigeon
    assert registry.get("web") is None and registry.get(None) is None


def test_the_protocol_is_checked_at_runtime() -> None:
    assert isinstance(Pigeon(), Channel)
    assert not isinstance(object(), Channel)
