"""When an agent's reply goes by email: `EmailReplies`, the poller.

Every `email.poll_seconds` it looks for conversations whose customer left an address and whose chat has
been closed for `email.away_minutes`, and emails the agent replies stored since they left, once each
(the conversation's `emailed_seq` is advanced before sending; a failed send puts it back).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.email.outbound import EmailChannel
from bot.channels.webchat.email_links import ReopenLinks
from config import Settings
from infra.db import utcnow
from router.models import ChannelIdentity, Conversation, Message, Ticket

if TYPE_CHECKING:
    from bot.channels.webchat import WebChatChannel

__all__ = ["EmailReplies"]

log = logging.getLogger("kundresa.email")


class EmailReplies:
    """Emails agent replies to customers who left an address and have been away `away_minutes`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        channel: EmailChannel,
        webchat: WebChatChannel | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.channel = channel
        self.webchat = webchat
        self.links = ReopenLinks(settings)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="email-replies")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # the database away, say: the next round tries again
                log.warning("email replies: a sweep failed", exc_info=True)
            await asyncio.sleep(self.settings.email.poll_seconds)

    async def sweep(self) -> int:
        """One round: the emails sent."""
        cutoff = utcnow() - timedelta(minutes=self.settings.email.away_minutes)
        async with self.sessions() as session:
            away = list(
                await session.scalars(
                    select(Conversation)
                    .where(
                        Conversation.away_since.is_not(None),
                        Conversation.away_since <= cutoff,
                        Conversation.reply_email.is_not(None),
                    )
                    .limit(200)
                )
            )
        sent = 0
        for conv in away:
            if self.webchat is not None and self.webchat.online(conv.id):
                continue  # back in the chat (on this process): they read it there
            sent += await self._send_replies(conv)
        return sent

    async def _send_replies(self, conv: Conversation) -> int:
        if conv.away_since is None or not conv.reply_email:
            return 0  # back, or no address: nothing goes by email (the sweep selects only these)
        async with self.sessions() as session:
            replies = list(
                await session.scalars(
                    select(Message)
                    .where(
                        Message.conversation_id == conv.id,
                        Message.seq > conv.emailed_seq,
                        Message.kind == "agent_message",
                        Message.internal.is_(False),
                        Message.created_at >= conv.away_since,
                    )
                    .order_by(Message.seq)
                )
            )
            if not replies:
                return 0
            visitor = await session.scalar(
                select(ChannelIdentity.external_id)
                .where(ChannelIdentity.customer_id == conv.customer_id, ChannelIdentity.kind == "web_visitor")
                .order_by(ChannelIdentity.last_seen_at.desc())
                .limit(1)
            )
            ticket = await session.scalar(
                select(Ticket.id).where(Ticket.conversation_id == conv.id).order_by(Ticket.id.desc()).limit(1)
            )
        upto = replies[-1].seq
        if not await self._advance(conv.id, conv.emailed_seq, upto):
            return 0  # another process took these
        frame = {
            "type": "agent_message",
            "text": "\n\n".join(m.text for m in replies),
            "agent": (replies[-1].payload or {}).get("agent") or "",
        }
        address = {
            "email": conv.reply_email,
            "lang": (conv.bot_state or {}).get("lang", "sv"),
            "link": self.links.link(conv.id, visitor) if visitor else "",
            "ticket": ticket or "",
        }
        if await self.channel.deliver(conv.id, address, frame):
            log.info(
                "emailed %d repl%s to conversation %s",
                len(replies),
                "y" if len(replies) == 1 else "ies",
                conv.id,
            )
            return 1
        await self._advance(conv.id, upto, conv.emailed_seq)  # not sent: the next round tries again
        return 0

    async def _advance(self, conversation_id: int, old: int, new: int) -> bool:
        """Move `emailed_seq` from `old` to `new` if nobody did meanwhile (one sender per reply)."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.emailed_seq == old)
                .values(emailed_seq=new)
            )
        return bool(getattr(result, "rowcount", 0))
