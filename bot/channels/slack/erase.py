"""Deleting the app's own Slack posts about an erased customer (router/privacy/erase.py).

For each thread (the ticket's post in the agents' channel, the threads the customer wrote in) the thread is
read with `conversations.replies` and every message the app posted there is deleted with `chat.delete` (the
bot token may delete the app's own messages only). What people wrote (the customer, agents replying in the
thread) stays: Slack lets only its author or a workspace admin delete it; the count comes back as `left`.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger("kundresa.slack")
GONE = ("thread_not_found", "channel_not_found", "message_not_found", "not_in_channel", "is_archived")
MAX_PAGES = 50


async def _ours(client: AsyncWebClient) -> tuple[str | None, str | None]:
    auth = await client.auth_test()
    return auth.get("bot_id"), auth.get("user_id")


async def erase_threads(client: AsyncWebClient, threads: list[dict[str, str]]) -> dict[str, int]:
    """Delete the app's messages in `threads` ([{channel, ts}]); counts: deleted, left (others'), failed."""
    counts = {"threads": len(threads), "deleted": 0, "left": 0, "failed": 0}
    bot_id, bot_user = await _ours(client)
    for thread in threads:
        channel, root = thread["channel"], thread["ts"]
        cursor: str | None = None
        try:
            for _ in range(MAX_PAGES):
                args: dict[str, Any] = {"channel": channel, "ts": root, "limit": 200}
                if cursor:
                    args["cursor"] = cursor
                page = await client.conversations_replies(**args)
                for message in page.get("messages") or []:
                    mine = (bot_id and message.get("bot_id") == bot_id) or (
                        bot_user and message.get("user") == bot_user
                    )
                    if not mine:
                        counts["left"] += 1
                        continue
                    try:
                        await client.chat_delete(channel=channel, ts=str(message["ts"]))
                        counts["deleted"] += 1
                    except SlackApiError as exc:
                        if exc.response.get("error") != "message_not_found":
                            counts["failed"] += 1
                cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                if not cursor:
                    break
        except SlackApiError as exc:
            if exc.response.get("error") not in GONE:
                counts["failed"] += 1
                log.warning("could not read a Slack thread to erase: %s", exc.response.get("error"))
    return counts
