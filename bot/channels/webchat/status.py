"""The web chat's `status` frame: what the customer's conversation is waiting for, kept current.

`{"type":"status","owner":"bot"|"agent","queue":{ticket,status,position,wait_minutes,agents_online,agent}
|null,"customer":{"name"}|null,"reply_email":MASKED|null,"email_replies":bool,"max_message_bytes":N}` —
ephemeral (not stored; it carries the latest seq like `typing`). Only sockets that ask for it (query
`status=1`, as the widget does) get it: after each `resume` and after a handoff, and — while their
conversation has an active ticket — again whenever a ticket or an agent's presence changes (their place in
the queue, the wait, who joined), when it changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from bot.channels.webchat.email_links import mask_email
from bot.channels.webchat.sequencer import Frame
from bot.queue_info import waiting_for
from config import Settings
from router.models import Conversation, Customer
from router.service import Router

if TYPE_CHECKING:
    from bot.channels.webchat.outbound import WebChatChannel

log = logging.getLogger("kundresa.webchat")
REFRESH_DELAY = 0.5  # seconds: a burst of ticket events (a dispatch, a busy console) is one refresh


async def status_frame(router: Router, settings: Settings, conversation_id: int | None) -> Frame:
    """The status of `conversation_id` (None: a visitor with no conversation yet). A customer who left an
    address and is back (a socket asks) is no longer away: replies are not emailed meanwhile."""
    frame: Frame = {
        "type": "status",
        "owner": "bot",
        "queue": None,
        "customer": None,
        "reply_email": None,
        "email_replies": settings.email.enabled,
        "max_message_bytes": settings.chat.max_message_bytes,
    }
    if conversation_id is None:
        return frame
    async with router.sessions() as session:
        # One query for what every socket needs; the queue only while a person owns the conversation
        # (an active ticket makes the owner "agent": `router.tickets.sync_owner`).
        row = (
            await session.execute(
                select(Conversation.owner, Conversation.reply_email, Conversation.away_since, Customer.name)
                .join(Customer, Customer.id == Conversation.customer_id)
                .where(Conversation.id == conversation_id)
            )
        ).first()
        if row is None:
            return frame
        owner, reply_email, away_since, name = row
        waiting = await waiting_for(session, conversation_id, settings.routing) if owner == "agent" else None
        frame["owner"] = owner
        frame["queue"] = waiting.to_json() if waiting is not None else None
        frame["reply_email"] = mask_email(reply_email)
        if name:
            frame["customer"] = {"name": name}
        away = away_since is not None
    if away:
        async with router.sessions() as session, session.begin():
            await session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(away_since=None)
            )
    return frame


class StatusBoard:
    """The last `status` sent to each conversation with sockets in this process; refreshed on events."""

    def __init__(self, channel: WebChatChannel) -> None:
        self.channel = channel
        self.sent: dict[int, Frame] = {}
        self.subscribers: set[Any] = set()  # the `OrderedSocket`s that asked for status frames
        self._refresh: asyncio.Task[None] | None = None

    async def send(self, conversation_id: int | None, out: Any = None) -> Frame | None:
        """Compute the status and send it: to `out` only (a socket that resumed), or to every socket of
        the conversation here when it changed."""
        if not self.channel.attached:
            return None
        router = self.channel.router
        if out is None and not self._listeners(conversation_id):
            return None
        frame = await status_frame(router, router.settings, conversation_id)
        if out is not None:
            self.subscribers.add(out)
            await out.ephemeral(frame)
        if conversation_id is None:
            return frame
        before = self.sent.get(conversation_id)
        self.sent[conversation_id] = frame
        if out is None and frame != before:
            for socket in self._listeners(conversation_id):
                await socket.ephemeral(frame)
        return frame

    def _listeners(self, conversation_id: int | None) -> list[Any]:
        sockets = self.channel.sockets.get(conversation_id, ()) if conversation_id is not None else ()
        return [s for s in sockets if s in self.subscribers and not s.closed]

    async def on_event(self, topic: str, data: dict[str, Any]) -> None:
        """A ticket or an agent changed: soon, refresh every conversation here that waits for a person."""
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.get_running_loop().create_task(self._later())

    async def _later(self) -> None:
        await asyncio.sleep(REFRESH_DELAY)
        for conv_id, frame in list(self.sent.items()):
            if conv_id not in self.channel.sockets:
                self.sent.pop(conv_id, None)
            elif frame.get("queue") is not None or frame.get("owner") == "agent":
                try:
                    await self.send(conv_id)
                except Exception:  # a hint only; the next event (or resume) brings it
                    log.warning("could not refresh a chat status", exc_info=True)

    async def close(self) -> None:
        task, self._refresh = self._refresh, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
