"""Channel adapters: one module per channel, each implementing `router.channel.Channel`."""

from bot.channels.webchat import WebChatChannel

__all__ = ["WebChatChannel"]
