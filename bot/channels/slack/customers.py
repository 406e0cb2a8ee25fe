"""Slack for customers: direct messages and shared (Slack Connect) channels. How frames look there is
`text.py`."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bot.channels.slack.text import escape, to_plain
from config import KundresaError
from router.identity import Evidence
from router.models import Message
from router.service import Inbound

if TYPE_CHECKING:
    from bot.channels.slack.lifecycle import SlackIntegration

log = logging.getLogger("kundresa.slack")

# Message subtypes that carry something a person wrote; the others (joins, topic changes ...) are ignored.
CUSTOMER_SUBTYPES = (None, "file_share", "thread_broadcast", "me_message")


# -- customer events -------------------------------------------------------------------------------------
class SlackCustomers:
    """Customer messages and buttons go through the same router and dialogue as the web chat."""

    def __init__(self, core: SlackIntegration) -> None:
        self.core = core

    async def conversation_for(self, user_id: str) -> int:
        """The conversation of this Slack user. Their Slack email is verified evidence (joining their web
        customer) only when they belong to our own workspace (`SlackDirectory.trusted_email`): in Slack
        Connect the other organisation sets its members' emails."""
        info = await self.core.user(user_id)
        email = await self.core.directory.trusted_email(info)
        name = info.name if info else None
        _, conv_id = await self.core.router.identify(
            [Evidence("slack_user", user_id, True)], email=email, name=name
        )
        return conv_id

    async def is_customer_channel(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        """DMs always; other channels only when shared with another organisation (Slack Connect), and
        then only people from the other side: our own colleagues there are not customers."""
        if event.get("channel_type") == "im":
            return True
        info = await self.core.channel_info(str(event.get("channel")))
        if not (info.get("is_ext_shared") or info.get("is_shared")):
            log.debug("ignoring a message in %s: not a shared channel", event.get("channel"))
            return False
        own_team = body.get("team_id")
        author_team = event.get("user_team") or event.get("team")
        if own_team and author_team == own_team:
            log.debug("ignoring a colleague's message in shared channel %s", event.get("channel"))
            return False
        return True

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        subtype = event.get("subtype")
        if subtype == "message_changed":
            await self.on_edit(body, event)
            return
        if subtype == "message_deleted":
            # The stored copy (masked) stays: agents keep the history they worked from.
            log.info(
                "a Slack customer deleted message %s in %s; the stored copy stays",
                (event.get("previous_message") or {}).get("ts"),
                event.get("channel"),
            )
            return
        if subtype not in CUSTOMER_SUBTYPES or not event.get("user"):
            return
        if not await self.is_customer_channel(body, event):
            return
        text = self.clip(to_plain(str(event.get("text") or "")))
        if not text:
            return  # a file without a caption: nothing to answer
        channel, ts = str(event["channel"]), str(event["ts"])
        address = {"channel": channel, "thread_ts": str(event.get("thread_ts") or ts)}
        conv_id = await self.conversation_for(str(event["user"]))
        began, metrics = time.perf_counter(), self.core.dialogue.metrics
        inbound = await self.core.router.receive(
            conv_id, channel="slack", address=address, text=text, client_id=f"slack:{channel}:{ts}"
        )
        metrics.observe("store", time.perf_counter() - began)
        if inbound.duplicate and self.core.work.retrying() and not await self.answered(inbound):
            # Stored by an earlier try of this event that failed (or died) before the bot's turn ended:
            # the customer is still owed an answer.
            inbound = dataclasses.replace(inbound, duplicate=False)
        await self.core.dialogue.respond(inbound)
        if inbound.owner == "bot" and not inbound.duplicate:
            metrics.observe("turn", time.perf_counter() - began)

    async def answered(self, inbound: Inbound) -> bool:
        """Whether anything went out to the customer after this message (the bot's turn happened)."""
        async with self.core.router.sessions() as session:
            later = await session.scalar(
                select(Message.id)
                .where(
                    Message.conversation_id == inbound.conversation_id,
                    Message.seq > inbound.seq,
                    Message.direction == "out",
                )
                .limit(1)
            )
        return later is not None

    async def on_edit(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """An edited message is stored as a new (masked) message marked edited; the bot does not
        answer it again, but agents see the correction in the timeline and the ticket thread."""
        new, old = event.get("message") or {}, event.get("previous_message") or {}
        if new.get("bot_id") or not new.get("user") or new.get("text") == old.get("text"):
            return  # our own replies being updated, link unfurls and the like
        merged = {**event, "user": new.get("user"), "user_team": new.get("user_team"), "ts": new.get("ts")}
        if not await self.is_customer_channel(body, merged):
            return
        text = self.clip(to_plain(str(new.get("text") or "")))
        if not text:
            return
        channel, ts = str(event["channel"]), str(new.get("ts"))
        edited = str((new.get("edited") or {}).get("ts") or event.get("event_ts") or "")
        address = {"channel": channel, "thread_ts": str(new.get("thread_ts") or ts)}
        conv_id = await self.conversation_for(str(new["user"]))
        await self.core.router.receive(
            conv_id,
            channel="slack",
            address=address,
            text=f"(ändrat / edited) {text}",
            client_id=f"slack:{channel}:{ts}:edit:{edited}"[:100],
        )

    def clip(self, text: str) -> str:
        limit = self.core.settings.chat.max_message_bytes
        raw = text.encode("utf-8")
        if len(raw) <= limit:
            return text
        log.info("a Slack message over %d bytes was shortened", limit)
        return raw[:limit].decode("utf-8", errors="ignore")

    # -- buttons ---------------------------------------------------------------------------------------
    async def _conversation_of_action(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The clicking customer's conversation, now addressed to the thread they clicked in."""
        message = body.get("message") or {}
        container = body.get("container") or {}
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "")
        thread_ts = str(message.get("thread_ts") or container.get("thread_ts") or message.get("ts") or "")
        conv_id = await self.conversation_for(str(body["user"]["id"]))
        address = {"channel": channel, "thread_ts": thread_ts}
        await self.core.router.touch(conv_id, channel="slack", address=address)
        return conv_id, message

    async def _settle(self, conv_id: int, body: dict[str, Any], message: dict[str, Any], note: str) -> None:
        """Replace the buttons of the clicked message with what was chosen (no double clicks)."""
        channel = (body.get("container") or {}).get("channel_id")
        if not channel or not message.get("ts"):
            return
        kept = [b for b in message.get("blocks") or [] if b.get("type") != "actions"]
        kept.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(note)}]})
        await self.core.work.call(
            "chat.update",
            f"conversation:{conv_id}",  # after the replies the click led to
            channel=channel,
            ts=message["ts"],
            text=str(message.get("text") or note),
            blocks=kept,
        )

    async def on_choose(self, body: dict[str, Any]) -> None:
        action = body["actions"][0]
        conv_id, message = await self._conversation_of_action(body)
        try:
            await self.core.dialogue.buttons.choose(conv_id, str(action.get("value") or ""))
        except KundresaError as exc:
            log.info("Slack choose failed: %s", exc.message)
            return
        title = (action.get("text") or {}).get("text") or action.get("value")
        await self._settle(conv_id, body, message, f"✓ {title}")

    async def on_human(self, body: dict[str, Any]) -> None:
        conv_id, _ = await self._conversation_of_action(body)
        await self.core.dialogue.buttons.human(conv_id)

    async def on_csat(self, body: dict[str, Any]) -> None:
        action = body["actions"][0]
        try:
            score = int(str(action.get("value")))
        except ValueError:
            return
        if not 1 <= score <= 5:
            return
        conv_id, message = await self._conversation_of_action(body)
        try:
            await self.core.dialogue.buttons.csat(conv_id, score)
        except KundresaError as exc:
            log.info("Slack CSAT not recorded: %s", exc.message)
            return
        await self._settle(conv_id, body, message, "★" * score + "☆" * (5 - score))
