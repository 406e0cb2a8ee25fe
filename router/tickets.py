"""Handoff tickets: the lifecycle's rules (priority, team, allowed moves, who owns the conversation) and the
row-level queries the ticket service builds on. Nothing here commits; `router.ticket_service` does."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import ConflictError, NotFoundError, RoutingSettings
from infra.db import iso, utcnow
from router import conversations as convs
from router.conversations import ConversationLocks
from router.models import TICKET_STATUSES, Conversation, Customer, Ticket

__all__ = [
    "OPEN_STATUSES",
    "TICKET_STATUSES",
    "for_handoff",
    "get",
    "in_conversation",
    "lock",
    "move",
    "priority_for",
    "queue_ahead",
    "queue_position",
    "rate",
    "reprioritise",
    "sync_owner",
    "team_for",
    "ticket_json",
]

OPEN_STATUSES = ("open", "assigned", "waiting_customer")
PRIORITY_VIP = 100
PRIORITY_PAYMENT = 50

# Allowed moves in the lifecycle; `resolved` can reopen when the customer writes again in time.
TRANSITIONS = {
    "open": {"assigned", "resolved", "closed"},
    "assigned": {"open", "waiting_customer", "resolved", "closed", "assigned"},
    "waiting_customer": {"assigned", "resolved", "closed"},
    "resolved": {"closed", "open", "assigned"},
    "closed": set(),
}


def priority_for(customer: Customer, context: Mapping[str, Any]) -> int:
    """VIP customers first, then customers stuck at the payment step."""
    prio = PRIORITY_VIP if customer.vip else 0
    if str(context.get("step", "")).lower() in ("payment", "betalning", "checkout", "kassa"):
        prio += PRIORITY_PAYMENT
    return prio


def team_for(tags: Iterable[Iterable[str]], routing: RoutingSettings) -> str:
    """The team most of the considered articles' tags map to, else the default team."""
    votes: Counter[str] = Counter()
    for article_tags in tags:
        for tag in article_tags:
            team = routing.teams.get(tag)
            if team:
                votes[team] += 1
                break
    return votes.most_common(1)[0][0] if votes else routing.default_team


def move(ticket: Ticket, status: str) -> None:
    """Change a ticket's status, or ConflictError (409) when the lifecycle does not allow the move."""
    if status not in TRANSITIONS.get(ticket.status, set()):
        raise ConflictError(f"ticket {ticket.id} is {ticket.status}; it cannot become {status}")
    now = utcnow()
    ticket.status = status
    if status == "assigned" and ticket.assigned_at is None:
        ticket.assigned_at = now
    elif status == "resolved":
        ticket.resolved_at = now
    elif status == "closed":
        ticket.closed_at = now
    elif status == "open":
        ticket.resolved_at = None


# -- reading and locking rows ------------------------------------------------------------------------------
async def get(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError(f"no ticket {ticket_id}")
    return ticket


async def lock(session: AsyncSession, ticket_id: int) -> Ticket:
    """The ticket, row-locked until the transaction ends (`FOR UPDATE`; SQLite's single writer already
    serialises). `populate_existing`: a copy this session read before is refreshed, not trusted."""
    ticket = await session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None:
        raise NotFoundError(f"no ticket {ticket_id}")
    return ticket


@asynccontextmanager
async def in_conversation(
    sessions: async_sessionmaker[AsyncSession], locks: ConversationLocks, ticket_id: int
) -> AsyncIterator[tuple[AsyncSession, Ticket, Conversation]]:
    """A transaction holding the ticket's conversation (this process's lock and the row lock, as a
    message write takes them), then the ticket. A merge may move the ticket to another conversation
    between the first read and the locks: then again, with that one."""
    async with sessions() as session:
        conv_id = (await get(session, ticket_id)).conversation_id
    while True:
        async with locks(conv_id), sessions() as session, session.begin():
            conv = await convs.lock(session, conv_id)
            ticket = await lock(session, ticket_id)
            if ticket.conversation_id == conv_id:
                yield session, ticket, conv
                return
            moved_to = ticket.conversation_id
        conv_id = moved_to


async def open_ticket_for(
    session: AsyncSession, conversation_id: int, *, locked: bool = False
) -> Ticket | None:
    """The conversation's active ticket (newest first; a merge can leave two)."""
    query = (
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id.desc())
        .limit(1)
    )
    if locked:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def for_handoff(
    session: AsyncSession, conversation_id: int, routing: RoutingSettings
) -> tuple[Ticket | None, Ticket | None, list[Ticket]]:
    """One locked read for a handoff, of the conversation's active and resolved tickets: the active one
    (newest first; a merge can leave two), the newest resolved within the reopen window, and the resolved
    ones past it (which a new ticket closes for good). One statement where three were: on SQLite every
    statement waits its turn for the one connection (issue 12)."""
    rows = await session.scalars(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.status.in_((*OPEN_STATUSES, "resolved")))
        .order_by(Ticket.id.desc())
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    since = utcnow() - timedelta(hours=routing.reopen_window_hours)
    active = reopenable = None
    stale: list[Ticket] = []
    for ticket in rows:
        if ticket.status != "resolved":
            active = active or ticket
        elif ticket.resolved_at is not None and ticket.resolved_at >= since:
            reopenable = reopenable or ticket
        elif ticket.resolved_at is not None:
            stale.append(ticket)
    return active, reopenable, stale


async def sync_owner(session: AsyncSession, conv: Conversation, *, active: bool | None = None) -> None:
    """The one rule for a conversation's owner: a person owns it while it has an active ticket, the bot
    otherwise. Each change is counted (`owner_changes`): handed back, the bot starts afresh (its store,
    `bot/bot_state.py`, keeps only the customer's language of a state older than the change). `active`:
    whether it has one, when the caller knows (a handoff has just opened it); else it is read."""
    if active is None:
        found = await session.scalar(
            select(Ticket.id)
            .where(Ticket.conversation_id == conv.id, Ticket.status.in_(OPEN_STATUSES))
            .limit(1)
        )
        active = found is not None
    owner = "agent" if active else "bot"
    if owner == conv.owner:
        return
    conv.owner = owner
    conv.owner_changes = (conv.owner_changes or 0) + 1


async def rate(session: AsyncSession, conversation_id: int, score: int) -> tuple[int, int, bool] | None:
    """CSAT on the conversation's latest resolved ticket: (ticket id, its score, whether it was rated
    before — then the stored score stands and `score` is ignored), or None if none waits."""
    ticket = await session.scalar(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(("resolved", "closed")))
        .order_by(Ticket.id.desc())
        .limit(1)
        .with_for_update()
    )
    if ticket is None:
        return None
    if ticket.csat is not None:  # a second device, or a replayed card: the first rating stands
        return ticket.id, ticket.csat, True
    ticket.csat = score
    return ticket.id, score, False


async def reprioritise(session: AsyncSession, customer_id: int, vip: bool) -> list[int]:
    """Set or clear a customer's VIP flag (the customer, then their active tickets, locked): the ids of
    the tickets whose priority changed."""
    customer = await session.scalar(select(Customer).where(Customer.id == customer_id).with_for_update())
    if customer is None:
        raise NotFoundError(f"no customer {customer_id}")
    customer.vip = vip
    tickets = await session.scalars(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id)
        .with_for_update()
    )
    changed = []
    for ticket in tickets:
        priority = priority_for(customer, ticket.context or {})
        if priority != ticket.priority:
            ticket.priority = priority
            changed.append(ticket.id)
    return changed


def queue_ahead(ticket: Ticket) -> Any:
    """The queued tickets of its team ahead of an open ticket, as a SQL expression: one COUNT over the
    queue index (`ix_tickets_queue`: status, team, priority descending, id), never the tickets themselves.
    Summed from two counts because each (higher priority; same priority and older) is one range of that
    index, where an OR of the two would be a filter over the whole team's queue."""

    def ahead(*where: Any) -> Any:
        counted = select(func.count()).select_from(Ticket)
        return counted.where(Ticket.status == "open", Ticket.team == ticket.team, *where).scalar_subquery()

    return ahead(Ticket.priority > ticket.priority) + ahead(
        Ticket.priority == ticket.priority, Ticket.id < ticket.id
    )


async def queue_position(session: AsyncSession, ticket: Ticket) -> int:
    """1 + the queued tickets of its team ahead of it (`queue_ahead`)."""
    if ticket.status != "open":
        return 1
    count = await session.scalar(select(queue_ahead(ticket)))
    return int(count or 0) + 1


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "conversation_id": ticket.conversation_id,
        "customer_id": ticket.customer_id,
        "status": ticket.status,
        "priority": ticket.priority,
        "team": ticket.team,
        "assignee_id": ticket.assignee_id,
        "reason": ticket.reason,
        "question": ticket.question,
        "bot_attempts": ticket.bot_attempts,
        "context": ticket.context,
        "resolved_article": ticket.resolved_article_slug,
        "csat": ticket.csat,
        "created_at": iso(ticket.created_at),
        "assigned_at": iso(ticket.assigned_at),
        "first_response_at": iso(ticket.first_response_at),
        "resolved_at": iso(ticket.resolved_at),
        "closed_at": iso(ticket.closed_at),
    }
