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
    """Give queued tickets to free agents until nobody is free; returns (ticket, agent) pairs.

    Tickets go in queue order across every team (highest priority, then oldest), so an agent without a
    team takes a VIP ticket of one team before an older plain ticket of another; each ticket goes to
    the free agent of its team (or of no team) assigned longest ago.
    """
    online = list(await session.scalars(select(User).where(User.presence == "online")))
    if not online:
        return []
    rows = await session.execute(
        select(Ticket.assignee_id, func.count(Ticket.id))
        .where(Ticket.assignee_id.in_([u.id for u in online]), Ticket.status.in_(tk.OPEN_STATUSES))
        .group_by(Ticket.assignee_id)
    )
    loads: dict[int, int] = {uid: int(n) for uid, n in rows if uid is not None}

    def capacity(user: User) -> int:
        return user.capacity if user.capacity is not None else routing.default_capacity

    free = [u for u in online if loads.get(u.id, 0) < capacity(u)]
    if not free:
        return []
    query = select(Ticket).where(Ticket.status == "open", Ticket.assignee_id.is_(None))
    if all(u.team is not None for u in free):
        query = query.where(Ticket.team.in_({u.team for u in free}))
    queued = list(await session.scalars(query.order_by(Ticket.priority.desc(), Ticket.id)))
    epoch = utcnow().replace(year=1970)
    done: list[tuple[int, int]] = []
    for ticket in queued:
        candidates = [u for u in free if u.team is None or u.team == ticket.team]
        if not candidates:
            continue
        user = min(candidates, key=lambda u: (u.last_assigned_at or epoch, u.id))
        assign(ticket, user)
        loads[user.id] = loads.get(user.id, 0) + 1
        if loads[user.id] >= capacity(user):
            free.remove(user)
        done.append((ticket.id, user.id))
        if not free:
            break
    await session.flush()
    return done
