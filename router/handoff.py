"""Opening a handoff ticket, in the caller's transaction (the conversation row locked): the active ticket
if there is one; else one resolved within the reopen window, reopened; else a new one, its priority (VIP,
the payment step, a payment that just failed) and team (the tags of the articles the bot tried) decided
here. `TicketService.handoff` runs it, then hands the conversation to a person and tells the customer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from config import NotFoundError, Settings
from router import tickets as tk
from router.message_store import Also
from router.models import Conversation, Customer, Ticket
from router.shop_events.store import recent_payment_failure

__all__ = ["Announce", "open_or_reopen"]

# What tells the customer about their handoff, decided in the transaction that opens the ticket (it sees
# the queue as the ticket joins it): the frame, and more writes of the caller's to store with it.
Announce = Callable[[AsyncSession, Ticket, bool], Awaitable[tuple[dict[str, Any], Also | None]]]


async def open_or_reopen(
    session: AsyncSession,
    conv: Conversation,
    settings: Settings,
    *,
    reason: str,
    question: str | None,
    attempts: list[dict[str, Any]],
    tags: list[list[str]],
) -> tuple[Ticket, bool]:
    """The conversation's ticket for this handoff, and whether it is new."""
    routing, conversation_id = settings.routing, conv.id
    ticket, reopenable, stale = await tk.for_handoff(session, conversation_id, routing)
    if ticket is None:
        ticket = reopenable
        if ticket is not None:
            tk.move(ticket, "assigned" if ticket.assignee_id else "open")
        else:
            for old in stale:  # resolved past the reopen window: closed for good
                tk.move(old, "closed")
    if ticket is not None:
        if question and not ticket.question:
            ticket.question = question
        return ticket, False
    customer = await session.get(Customer, conv.customer_id)
    if customer is None:  # erased since the conversation was read (privacy): nobody to hand over
        raise NotFoundError(f"conversation {conversation_id} has no customer", code="customer_not_found")
    priority = tk.priority_for(customer, conv.context or {})
    minutes = settings.proactive.payment_priority_minutes
    if priority % tk.PRIORITY_VIP < tk.PRIORITY_PAYMENT and await recent_payment_failure(
        session, conv.customer_id, minutes
    ):
        priority += tk.PRIORITY_PAYMENT  # a payment just failed: as urgent as the payment step
    ticket = Ticket(
        conversation_id=conversation_id,
        customer_id=conv.customer_id,
        status="open",
        priority=priority,
        team=tk.team_for(tags, routing),
        reason=reason,
        question=question,
        bot_attempts=attempts,
        context=dict(conv.context or {}),
        external_refs={},
    )
    session.add(ticket)
    return ticket, True
