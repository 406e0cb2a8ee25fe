"""router/tickets.py: the lifecycle's allowed moves and their timestamps, priority and team for a new
ticket, and the owner rule (a person while a ticket is active), on a migrated SQLite database for the
last (TicketService using them: test_ticket_service.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import ConflictError, RoutingSettings
from router import tickets as tk
from router.models import Conversation, Customer, Ticket


def test_moves_the_lifecycle_allows_and_their_timestamps() -> None:
    ticket = Ticket(id=1, status="open")
    tk.move(ticket, "assigned")
    assert ticket.assigned_at is not None
    tk.move(ticket, "resolved")
    resolved_at = ticket.resolved_at
    assert resolved_at is not None
    tk.move(ticket, "open")  # the customer wrote again in time: reopened
    assert ticket.resolved_at is None and ticket.status == "open"
    tk.move(ticket, "closed")
    assert ticket.closed_at is not None
    for status in ("open", "assigned", "resolved", "closed"):
        with pytest.raises(ConflictError):
            tk.move(ticket, status)  # nothing leaves closed


def test_waiting_for_the_customer_cannot_go_back_to_the_queue() -> None:
    ticket = Ticket(id=2, status="waiting_customer")
    with pytest.raises(ConflictError, match="waiting_customer"):
        tk.move(ticket, "open")


@pytest.mark.parametrize(
    ("vip", "context", "priority"),
    [(False, {}, 0), (True, {}, 100), (False, {"step": "Kassa"}, 50), (True, {"step": "payment"}, 150)],
)
def test_priority_vip_first_then_stuck_at_payment(vip: bool, context: dict[str, str], priority: int) -> None:
    assert tk.priority_for(Customer(vip=vip), context) == priority


def test_team_by_the_tags_most_articles_map_to() -> None:
    routing = RoutingSettings(teams={"payment": "billing", "delivery": "logistics"}, default_team="support")
    assert tk.team_for([["payment"], ["delivery", "payment"], ["payment", "x"]], routing) == "billing"
    assert tk.team_for([["misc"]], routing) == tk.team_for([], routing) == "support"


async def test_a_person_owns_the_conversation_while_a_ticket_is_active(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        customer = Customer(name="k")
        session.add(customer)
        await session.flush()
        conv = Conversation(customer_id=customer.id)
        session.add(conv)
        await session.flush()
        await tk.sync_owner(session, conv)
        assert (conv.owner, conv.owner_changes) == ("bot", 0)  # no change, not counted
        ticket = Ticket(conversation_id=conv.id, customer_id=customer.id, team="support", reason="asked")
        session.add(ticket)
        await session.flush()
        await tk.sync_owner(session, conv)
        assert (conv.owner, conv.owner_changes) == ("agent", 1)
        assert await tk.open_ticket_for(session, conv.id) is ticket
        tk.move(ticket, "resolved")
        await session.flush()
        await tk.sync_owner(session, conv)
        assert (conv.owner, conv.owner_changes) == ("bot", 2)
        assert tk.ticket_json(ticket)["resolved_at"] is not None
