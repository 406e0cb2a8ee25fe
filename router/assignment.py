"""Assignment: online agents under capacity get their team's next ticket, round robin."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from config import RoutingSettings
from knowledge.db import utcnow
from router import tickets as tk
from router.models import Ticket, User


async def load_of(session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.assignee_id == user_id, Ticket.status.in_(tk.OPEN_STATUSES)
        )
    )
    return int(count or 0)


async def next_open_ticket(session: AsyncSession, team: str | None) -> Ticket | None:
    """Highest priority first, then oldest."""
    query = select(Ticket).where(Ticket.status == "open", Ticket.assignee_id.is_(None))
    if team is not None:
        query = query.where(Ticket.team == team)
    return await session.scalar(query.order_by(Ticket.priority.desc(), Ticket.id).limit(1))


async def free_agents(session: AsyncSession, team: str, routing: RoutingSettings) -> list[User]:
    """Online agents of `team` (or of no team) under capacity, least recently assigned first."""
    rows = await session.scalars(
        select(User).where(User.presence == "online", (User.team == team) | User.team.is_(None))
    )
    free = []
    for user in rows:
        capacity = user.capacity if user.capacity is not None else routing.default_capacity
        if await load_of(session, user.id) < capacity:
            free.append(user)
    epoch = utcnow().replace(year=1970)
    free.sort(key=lambda u: (u.last_assigned_at or epoch, u.id))
    return free


def assign(ticket: Ticket, user: User) -> None:
    ticket.assignee_id = user.id
    tk.move(ticket, "assigned")
    user.last_assigned_at = utcnow()


async def dispatch(session: AsyncSession, routing: RoutingSettings) -> list[tuple[int, int]]:
    """Give queued tickets to free agents until nobody is free; returns (ticket, agent) pairs."""
    done: list[tuple[int, int]] = []
    while True:
        progressed = False
        teams = list(
            await session.scalars(
                select(Ticket.team).where(Ticket.status == "open", Ticket.assignee_id.is_(None)).distinct()
            )
        )
        for team in teams:
            agents = await free_agents(session, team, routing)
            ticket = await next_open_ticket(session, team)
            if agents and ticket is not None:
                assign(ticket, agents[0])
                await session.flush()
                done.append((ticket.id, agents[0].id))
                progressed = True
        if not progressed:
            return done
