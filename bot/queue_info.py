"""What a customer handed to a person is waiting for: their place in the queue, an honest wait, who has
their ticket. Read-only; the dialogue says it when it hands off, the web chat's `status` frame keeps it
current."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from config import RoutingSettings
from router import tickets as tk
from router.models import Ticket, User

__all__ = ["Waiting", "waiting_for"]


@dataclass(frozen=True, slots=True)
class Waiting:
    ticket: int
    status: str  # open (queued) | assigned | waiting_customer
    position: int | None  # 1 = next; None once a person has it
    wait_minutes: int | None  # None: nobody online to give an honest figure (or a person has it)
    agents_online: int  # online agents who take this ticket's team
    agent: str | None  # the person who has it

    def to_json(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket,
            "status": self.status,
            "position": self.position,
            "wait_minutes": self.wait_minutes,
            "agents_online": self.agents_online,
            "agent": self.agent,
        }


async def waiting_for(
    session: AsyncSession, conversation_id: int, routing: RoutingSettings
) -> Waiting | None:
    """The conversation's active ticket as its customer sees it; None when there is none.

    The wait: the tickets ahead (and this one) shared among the online agents who take its team, each
    taking `routing.expected_wait_minutes` a ticket. With nobody online there is no honest figure.
    """
    ticket = await tk.open_ticket_for(session, conversation_id)
    if ticket is None:
        return None
    return await waiting_on(session, ticket, routing)


async def waiting_on(session: AsyncSession, ticket: Ticket, routing: RoutingSettings) -> Waiting:
    agent = await session.get(User, ticket.assignee_id) if ticket.assignee_id is not None else None
    counted = (
        select(func.count())
        .select_from(User)
        .where(User.presence == "online", or_(User.team.is_(None), User.team == ticket.team))
        .scalar_subquery()
    )
    # The agents online and, for a queued ticket, those ahead of it: one statement (issue 12).
    queued = agent is None and ticket.status == "open"
    row = (await session.execute(select(counted, tk.queue_ahead(ticket) if queued else literal(0)))).one()
    online = int(row[0] or 0)
    position = wait = None
    if agent is None:
        position = int(row[1] or 0) + 1
        if online:
            wait = max(1, math.ceil(position * routing.expected_wait_minutes / online))
    return Waiting(ticket.id, ticket.status, position, wait, online, agent.name if agent else None)
