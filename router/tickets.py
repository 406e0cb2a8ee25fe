"""Handoff tickets: priority, team, lifecycle and what the bot tried."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config import ConflictError, NotFoundError, RoutingSettings
from knowledge.db import utcnow
from router.models import TICKET_STATUSES, Customer, Ticket

__all__ = ["OPEN_STATUSES", "TICKET_STATUSES", "move", "priority_for", "team_for", "ticket_json"]

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


async def open_ticket_for(session: AsyncSession, conversation_id: int) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id.desc())
        .limit(1)
    )


async def reopenable_ticket(
    session: AsyncSession, conversation_id: int, routing: RoutingSettings
) -> Ticket | None:
    """A ticket resolved within the reopen window: a new customer message brings it back."""
    since = utcnow() - timedelta(hours=routing.reopen_window_hours)
    return await session.scalar(
        select(Ticket)
        .where(
            Ticket.conversation_id == conversation_id,
            Ticket.status == "resolved",
            Ticket.resolved_at >= since,
        )
        .order_by(Ticket.id.desc())
        .limit(1)
    )


async def close_stale(session: AsyncSession, conversation_id: int, routing: RoutingSettings) -> None:
    """Resolved tickets past the reopen window are closed for good."""
    since = utcnow() - timedelta(hours=routing.reopen_window_hours)
    rows = await session.scalars(
        select(Ticket).where(
            Ticket.conversation_id == conversation_id, Ticket.status == "resolved", Ticket.resolved_at < since
        )
    )
    for ticket in rows:
        move(ticket, "closed")


async def get(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFoundError(f"no ticket {ticket_id}")
    return ticket


def move(ticket: Ticket, status: str) -> None:
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


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

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
