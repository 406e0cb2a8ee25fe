"""What crash recovery (`bot.recovery`) looks for: customer messages stored but never answered, and
handoffs opened but never announced; read-only queries, each giving `Pending` work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Conversation, Message, Ticket
from router.tickets import OPEN_STATUSES

__all__ = ["ANSWERING_KINDS", "Pending", "find_unannounced", "find_unanswered"]

# Without `reply_to` (a person's reply, or a bot frame stored before frames named their message), these
# kinds answer every customer message before them; a notice (a greeting's, the card warning) does not.
ANSWERING_KINDS = ("answer", "clarify", "handoff", "agent_message", "csat_request")

_messages: Table = Message.__table__  # type: ignore[assignment]
_conversations: Table = Conversation.__table__  # type: ignore[assignment]
_tickets: Table = Ticket.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Pending:
    """Recovery's work in one conversation: an unanswered customer message (`seq`), or a handoff that was
    opened but never announced (`ticket_id`: the process died between the two)."""

    conversation_id: int
    created_at: datetime
    seq: int | None = None
    text: str = ""  # the message as stored: masked
    masked: bool = False
    bot_state: dict[str, Any] = field(default_factory=dict)
    ticket_id: int | None = None

    @property
    def key(self) -> tuple[int, int | None, int | None]:
        return (self.conversation_id, self.seq, self.ticket_id)

    def describe(self) -> str:
        what = f"message {self.seq}" if self.seq is not None else f"the handoff to ticket {self.ticket_id}"
        return f"{what} of conversation {self.conversation_id}"


async def find_unanswered(
    session: AsyncSession,
    *,
    since: datetime,
    before: datetime | None = None,
    conversation_id: int | None = None,
    seq: int | None = None,
    limit: int = 10_000,
) -> list[Pending]:
    """Unanswered customer messages stored from `since` (and before `before`), by conversation and seq.
    Index use: `created_at` for the range, (conversation_id, seq) for the replies after each."""
    m, o, c, t = _messages.alias("m"), _messages.alias("o"), _conversations, _tickets
    reply_to = o.c.payload["reply_to"].as_integer()
    replied = (
        select(o.c.id)
        .where(
            o.c.conversation_id == m.c.conversation_id,
            o.c.seq > m.c.seq,
            o.c.direction == "out",
            o.c.internal.is_(False),
            or_(
                reply_to == m.c.seq,  # the bot's answer to this very message
                # a person's reply, or a bot reply stored before replies named their message
                and_(reply_to.is_(None), o.c.kind.in_(ANSWERING_KINDS)),
            ),
        )
        .exists()
    )
    handled = (
        select(t.c.id)
        .where(
            t.c.conversation_id == m.c.conversation_id,
            or_(
                t.c.created_at >= m.c.created_at,
                t.c.resolved_at >= m.c.created_at,
                t.c.closed_at >= m.c.created_at,
            ),
        )
        .exists()
    )
    stmt = (
        select(m.c.conversation_id, m.c.seq, m.c.text, m.c.masked, m.c.created_at, c.c.bot_state)
        .join(c, c.c.id == m.c.conversation_id)
        .where(
            m.c.created_at >= since,
            m.c.direction == "in",
            m.c.author_kind == "customer",
            m.c.kind == "message",
            c.c.owner == "bot",
            c.c.merged_into_id.is_(None),  # a merge moved its messages on: the other one answers
            ~replied,
            ~handled,
        )
        .order_by(m.c.conversation_id, m.c.seq)
        .limit(limit)
    )
    if before is not None:
        stmt = stmt.where(m.c.created_at < before)
    if conversation_id is not None:
        stmt = stmt.where(m.c.conversation_id == conversation_id)
    if seq is not None:
        stmt = stmt.where(m.c.seq == seq)
    return [
        Pending(
            r.conversation_id,
            r.created_at,
            seq=r.seq,
            text=r.text or "",
            masked=bool(r.masked),
            bot_state=dict(r.bot_state or {}),
        )
        for r in (await session.execute(stmt)).all()
    ]


async def find_unannounced(
    session: AsyncSession,
    *,
    since: datetime,
    before: datetime | None = None,
    ticket_id: int | None = None,
    limit: int = 10_000,
) -> list[Pending]:
    """Open tickets created from `since` whose customer was never sent the handoff frame."""
    t, c, o = _tickets, _conversations, _messages
    announced = (
        select(o.c.id)
        .where(
            o.c.conversation_id == t.c.conversation_id,
            o.c.direction == "out",
            o.c.kind == "handoff",
            o.c.created_at >= t.c.created_at,
        )
        .exists()
    )
    stmt = (
        select(t.c.conversation_id, t.c.id, t.c.created_at, c.c.bot_state)
        .join(c, c.c.id == t.c.conversation_id)
        .where(
            t.c.created_at >= since,
            t.c.status.in_(OPEN_STATUSES),
            c.c.owner == "agent",
            c.c.merged_into_id.is_(None),
            ~announced,
        )
        .order_by(t.c.id)
        .limit(limit)
    )
    if before is not None:
        stmt = stmt.where(t.c.created_at < before)
    if ticket_id is not None:
        stmt = stmt.where(t.c.id == ticket_id)
    return [
        Pending(r.conversation_id, r.created_at, ticket_id=r.id, bot_state=dict(r.bot_state or {}))
        for r in (await session.execute(stmt)).all()
    ]
