"""`Router`: stores every message, keeps one conversation per customer and delivers replies through the
channel the customer used last. It knows no channel's details. Tickets are `Router.tickets`, a
`TicketService` that sends through this router; conversation writes of both share `Router.lock`."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import NotFoundError, Settings, ValidationError
from infra.db import utcnow
from router import conversations as convs
from router.channel import ChannelRegistry
from router.conversations import ConversationLocks
from router.events import EventBus
from router.identity import Evidence, resolve_customer
from router.identity_merge import undo_merge
from router.masking import MaskResult, mask_sensitive, mask_value
from router.message_store import Also, MessageWrite, message_write
from router.models import Conversation, Feedback, IdentityMerge, Message
from router.outgoing import Outgoing, store_outgoing
from router.ticket_service import TicketService

log = logging.getLogger("kundresa.router")

_INSERT_FEEDBACK = insert(Feedback.__table__)  # type: ignore[arg-type]


@dataclass
class Inbound:
    """A stored customer message."""

    conversation_id: int
    seq: int
    text: str  # masked
    duplicate: bool
    mask: MaskResult
    owner: str  # bot | agent
    channel: str | None = None  # the channel it came by (None: not known, e.g. crash recovery)


def stored_client_id(client_id: str) -> str:
    """A client's message id as it is stored and matched: masked like the text (deterministic, so a resent
    id still matches)."""
    return str(mask_value(client_id))


class Router:
    """Customers, conversations and delivery; ticket transitions are `self.tickets`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        channels: ChannelRegistry,
        bus: EventBus,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.channels = channels
        self.bus = bus
        self.lock = ConversationLocks()  # `self.lock(conversation_id)`: this process's writes, one at a time
        self._identity_locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self.tickets = TicketService(sessions, settings, bus, self.lock, sender=self)

    # -- customers -----------------------------------------------------------------------------------
    async def identify(
        self,
        evidence: list[Evidence],
        *,
        email: str | None = None,
        name: str | None = None,
        vip: bool | None = None,
    ) -> tuple[int, int]:
        """(customer id, conversation id) for these identities."""
        # Two tabs of a new visitor connecting at once must not create two customers: one at a time
        # per identity in this process (the unique identity constraint guards across processes).
        key = min((e.kind, e.external_id) for e in evidence) if evidence else ("", "")
        async with self._identity_locks[key], self.sessions() as session, session.begin():
            customer = await resolve_customer(session, evidence, email=email, name=name)
            if vip is not None and vip:
                customer.vip = True
            conv = await convs.current_conversation(session, customer.id)
            return customer.id, conv.id

    # -- messages ------------------------------------------------------------------------------------
    async def receive(
        self,
        conversation_id: int,
        *,
        channel: str,
        address: dict[str, Any],
        text: str,
        masked: MaskResult | None = None,
        client_id: str | None = None,
        context: dict[str, Any] | None = None,
    ) -> Inbound:
        """Mask and store a customer message (before anything acknowledges it); `masked`: `text` masked
        already, by a channel that searched it while it is stored. The client's message id and the page
        context are masked too: both are stored and shown (deterministic, so a resent id still matches)."""
        mask = masked if masked is not None else mask_sensitive(text)
        if client_id:
            client_id = stored_client_id(client_id)
        if context:
            context = dict(mask_value(context))
        async with self.lock(conversation_id), message_write(self.sessions) as write:
            changes: dict[str, Any] = {"last_channel": channel, "last_address": dict(address)}
            if context:
                changes["context"] = dict(context)
            row = await write.take_seq(conversation_id, unless_client_id=client_id or None, **changes)
            if row is None:  # sent before (a client retrying after a lost ack): answer as before
                session = await write.session()
                existing = await convs.client_message(session, conversation_id, str(client_id))
                owner = await convs.owner_of(session, conversation_id)
                if existing is None:  # erased since it was stored (privacy): nothing to answer as before
                    raise NotFoundError(
                        f"conversation {conversation_id} has no message {client_id!r}",
                        code="message_not_found",
                    )
                return Inbound(conversation_id, existing.seq, existing.text, True, mask, owner, channel)
            if row.owner == "agent":
                await self.tickets.customer_wrote(await write.session(), conversation_id)
            await write.insert_message(
                conversation_id=conversation_id,
                seq=row.seq,
                channel=channel,
                direction="in",
                author_kind="customer",
                kind="message",
                text=mask.text,
                masked=mask.masked,
                client_id=client_id,
                context=dict(context or row.context or {}),
            )
            inbound = Inbound(conversation_id, row.seq, mask.text, False, mask, row.owner, channel)
        await self.bus.publish(
            "conversation",
            {
                "conversation_id": conversation_id,
                "seq": inbound.seq,
                "author": "customer",
                "text": mask.text,
                "client_id": client_id,  # the web chat echoes it to the customer's other tabs (README)
                "channel": channel,  # for the metrics (bot/metrics.py)
            },
        )
        return inbound

    async def send(
        self,
        conversation_id: int,
        frame: dict[str, Any],
        *,
        author_kind: str = "bot",
        author_id: int | None = None,
        text: str = "",
        internal: bool = False,
        also: Also | None = None,
    ) -> dict[str, Any]:
        """Store an outgoing frame with its seq, then deliver it on the customer's current channel.
        `also`: more writes of the caller's in the same transaction (the bot's state, feedback)."""
        async with self.lock(conversation_id), message_write(self.sessions) as write:
            out = await store_outgoing(
                write, conversation_id, frame, author_kind=author_kind, author_id=author_id, text=text,
                internal=internal,
            )  # fmt: skip
            if also is not None:
                await also(write)
        await self.deliver_stored(out)
        return out.frame

    async def deliver_stored(self, out: Outgoing) -> None:
        """After the frame's transaction committed: deliver it, and publish it on the bus."""
        if not out.internal:
            await self.deliver(out.conversation_id, out.channel, out.address, out.frame)
        await self.bus.publish(
            "conversation",
            {
                "conversation_id": out.conversation_id,
                "seq": out.frame["seq"],
                "author": out.author_kind,
                "frame": out.frame,
                # what another process needs to deliver it to the sockets it holds (router.pg_events)
                "channel": out.channel,
                "internal": out.internal,
            },
        )

    async def deliver(
        self, conversation_id: int, channel_name: str | None, address: dict[str, Any], frame: dict[str, Any]
    ) -> bool:
        channel = self.channels.get(channel_name)
        if channel is None:
            return False
        try:
            return await channel.deliver(conversation_id, address, frame)
        except Exception:  # stored already: the customer gets it on resume
            log.exception("delivery on %s failed for conversation %s", channel_name, conversation_id)
            return False

    async def typing(self, conversation_id: int, who: str = "agent") -> bool:
        """Tell the customer someone is writing to them, on the channel they are on now: an ephemeral
        `{"type":"typing","who":…,"seq":N}` that is neither stored nor given a seq of its own (it carries
        the latest stored one, like the bot's typing frame and errors). Nothing is published either, so a
        customer whose socket another process holds (PostgreSQL deployments) does not see it: it is only
        a hint, and the reply itself still reaches them. False when it was not delivered."""
        async with self.sessions() as session:
            conv = await session.get(Conversation, conversation_id)
            if conv is None:
                return False
            frame = {"type": "typing", "who": who, "seq": max(0, conv.next_seq - 1)}
            channel_name, address = conv.last_channel, dict(conv.last_address or {})
        return await self.deliver(conversation_id, channel_name, address, frame)

    async def history(self, conversation_id: int, after: int) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            conv = await session.get(Conversation, conversation_id)
            if conv is None:
                return []
            if after < 0 or after >= conv.next_seq:
                raise ValidationError(
                    f"resume 'after' must be between 0 and {conv.next_seq - 1}", code="invalid_resume"
                )
            return [
                convs.replay_frame(m) for m in await convs.messages_after(session, conversation_id, after)
            ]

    async def conversation(self, conversation_id: int) -> Conversation | None:
        async with self.sessions() as session:
            return await session.get(Conversation, conversation_id)

    async def recent_messages(self, conversation_id: int, limit: int = 50) -> list[Message]:
        """The conversation's last `limit` messages (every author), oldest first."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq.desc())
                .limit(limit)
            )
            return list(reversed(list(rows)))

    @staticmethod
    def feedback(conversation_id: int, slug: str | None, helpful: bool) -> Also:
        """👍/👎 on an article, stored in the transaction of the frame that answers it (`send(also=…)`)."""

        async def record(write: MessageWrite) -> None:
            values = {"conversation_id": conversation_id, "article_slug": slug, "helpful": helpful}
            await write.execute(_INSERT_FEEDBACK, {**values, "created_at": utcnow()})

        return record

    async def undo_merge(self, merge_id: int) -> IdentityMerge:
        """Split a merged customer back apart (`POST /api/merges/{id}/undo`); locks as `undo_merge` says."""
        async with self.sessions() as session, session.begin():
            return await undo_merge(session, merge_id)

    # -- shared agent operations (the HTTP API's semantics, for channels such as Slack) ----------------
    async def touch(self, conversation_id: int, *, channel: str, address: dict[str, Any]) -> None:
        """The customer acted on `channel` (a button, not a message): replies go there from now on."""
        async with self.lock(conversation_id), self.sessions() as session, session.begin():
            conv = await convs.lock(session, conversation_id)
            conv.last_channel, conv.last_address = channel, dict(address)

    @staticmethod
    def now() -> Any:
        return utcnow()
