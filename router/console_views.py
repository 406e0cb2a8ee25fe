"""What the agent console shows of tickets: a ticket with its customer and assignee, the first snapshot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from router import tickets as tk
from router.history import display_name
from router.models import Customer, Ticket, User


async def ticket_view(session: Any, ticket: Ticket) -> dict[str, Any]:
    """`ticket_json` plus what the console shows in a list: the customer and the assignee's name."""
    data = tk.ticket_json(ticket)
    customer = await session.get(Customer, ticket.customer_id)
    data["customer"] = (
        {
            "id": customer.id,
            "name": customer.name,
            "email": customer.email,
            "vip": customer.vip,
            "display_name": await display_name(session, customer),
        }
        if customer is not None
        else None
    )
    assignee = await session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    data["assignee"] = assignee.name if assignee is not None else None
    return data


async def snapshot(session: Any, user: User) -> dict[str, Any]:
    queue = await session.scalars(
        select(Ticket).where(Ticket.status == "open").order_by(Ticket.priority.desc(), Ticket.id).limit(500)
    )
    mine = await session.scalars(
        select(Ticket)
        .where(Ticket.assignee_id == user.id, Ticket.status.in_(tk.OPEN_STATUSES))
        .order_by(Ticket.priority.desc(), Ticket.id)
        .limit(500)
    )
    return {
        "type": "snapshot",
        "queue": [await ticket_view(session, t) for t in queue],
        "mine": [await ticket_view(session, t) for t in mine],
        "agent": {
            "id": user.id,
            "name": user.name,
            "team": user.team,
            "presence": user.presence,
            "role": user.role,
        },
    }
