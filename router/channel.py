"""The `Channel` Protocol every channel adapter implements, and the registry the router delivers through."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Channel(Protocol):
    """A way to reach a customer. The router hands it frames; how they travel is the channel's business."""

    name: str

    async def deliver(self, conversation_id: int, address: dict[str, Any], frame: dict[str, Any]) -> bool:
        """Send a stored frame to the customer; False when they are not reachable now (it stays stored)."""
        ...


class ChannelRegistry:
    def __init__(self) -> None:
        self._channels: dict[str, Channel] = {}

    def register(self, channel: Channel) -> None:
        self._channels[channel.name] = channel

    def get(self, name: str | None) -> Channel | None:
        return self._channels.get(name or "")
