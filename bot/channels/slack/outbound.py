"""The Slack channel's way out: `SlackChannel`, the `router.channel.Channel` for Slack customers.

A frame is rendered as a Slack message (`text.render_frame`) and stored as work (`work.SlackWork.reply`);
the worker posts it. The agents' side posts through `agents.py` and `ticket_post.py`.
"""

from __future__ import annotations

from typing import Any

from bot.channels.slack.erase import erase_threads
from bot.channels.slack.text import render_frame
from bot.channels.slack.work import SlackWork

__all__ = ["SlackChannel"]


class SlackChannel:
    """`router.channel.Channel` for Slack customers: a frame becomes a message in their thread, posted
    by the worker (stored first, so a Slack outage delays it and it arrives once Slack is back)."""

    name = "slack"

    def __init__(self, work: SlackWork) -> None:
        self.work = work

    async def deliver(self, conversation_id: int, address: dict[str, Any], frame: dict[str, Any]) -> bool:
        if frame.get("type") == "typing":
            return False  # ephemeral "someone is writing": Slack shows a bot no such thing, never a message
        channel = address.get("channel")
        if not channel:
            return False
        message = render_frame(frame)
        if message is None:
            return True  # nothing a customer sees (an internal note)
        args: dict[str, Any] = {"channel": channel, **message}
        if address.get("thread_ts"):
            args["thread_ts"] = address["thread_ts"]
        seq = frame.get("seq")
        await self.work.reply(conversation_id, int(seq) if isinstance(seq, int) else None, args)
        return True

    async def erase_posts(self, threads: list[dict[str, str]]) -> dict[str, int]:
        """Delete the app's own posts in these threads (`erase.py`)."""
        return await erase_threads(self.work.core.client, threads)
