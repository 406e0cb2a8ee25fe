"""Assignment: online agents under capacity get their team's next ticket, round robin.

Correct with several processes on one PostgreSQL: `dispatch` first row-locks every online agent (in id
order, so two dispatches queue instead of deadlocking) and only then counts their loads, so a second
process's dispatch sees the first one's assignments before it decides. Queued tickets are taken with
`FOR UPDATE SKIP LOCKED`: a ticket a claim or transfer holds is left to it, never waited for, so a dispatch
(agents, then tickets) and a claim (ticket, then its agent) cannot wait on each other in a cycle. Every
transaction that frees capacity or queues a ticket runs `dispatch` itself, after its change, so nothing
waits in the queue for a wake-up that already passed.

Every query here is an indexed one: loads by `ix_tickets_assignee_status`, the head of a team's queue by
`ix_tickets_queue` and of the whole queue by `ix_tickets_queue_any` (migration 0003), so a dispatch costs
the same with ten queued tickets as with ten thousand.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from config import NotFoundError, RoutingSettings
from infra.db import utcnow
from router import tickets as tk
from router.models import Ticket, User

__all__ = ["assign", "capacity_of", "dispatch", "loads_of", "lock_agent", "next_queued"]


def capacity_of(user: User, routing: RoutingSettings) -> int:
    return user.capacity if user.capacity is not None else routing.default_capacity


async def loads_of(session: AsyncSession, user_ids: Iterable[int] | None = None) -> dict[int, int]:
    """Active tickets per agent, of these agents or (None) of every agent; absent: none."""
    query = select(Ticket.assignee_id, func.count()).where(Ticket.status.in_(tk.OPEN_STATUSES))
    if user_ids is None:
        query = query.where(Ticket.assignee_id.is_not(None))
    else:
        ids = list(user_ids)
        if not ids:
            return {}
        query = query.where(Ticket.assignee_id.in_(ids))
    rows = await session.execute(query.group_by(Ticket.assignee_id))
    return {int(uid): int(n) for uid, n in rows if uid is not None}


async def lock_agent(session: AsyncSession, user_id: int) -> User:
    """The agent, row-locked until the transaction ends; NotFoundError (404) for an unknown user."""
    agent = await session.get(User, user_id, with_for_update=True, populate_existing=True)
    if agent is None:
        raise NotFoundError(f"no user {user_id}")
    return agent


async def _lock_online_agents(session: AsyncSession) -> list[User]:
    query = select(User).where(User.presence == "online").order_by(User.id).with_for_update()
    return list(await session.scalars(query.execution_options(populate_existing=True)))


async def next_queued(
    session: AsyncSession, teams: Collection[str] | None, skip: Collection[int] = ()
) -> Ticket | None:
    """The head of the queue (highest priority, then oldest) among `teams` (None: every team), locked,
    leaving out the ticket ids in `skip`. One `LIMIT 1` per team: each reads the top of that team's
    stretch of the queue index, where one query over several teams would read and sort all their queued
    tickets."""
    head = (
        select(Ticket)
        .where(Ticket.status == "open", Ticket.assignee_id.is_(None))
        .order_by(Ticket.priority.desc(), Ticket.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if skip:
        head = head.where(Ticket.id.not_in(list(skip)))
    if teams is None:
        return await session.scalar(head)
    found = [t for team in sorted(teams) if (t := await session.scalar(head.where(Ticket.team == team)))]
    return min(found, key=lambda t: (-t.priority, t.id), default=None)


def assign(ticket: Ticket, user: User) -> None:
    ticket.assignee_id = user.id
    ticket.transferred_from_id = None
    tk.move(ticket, "assigned")
    user.last_assigned_at = utcnow()


async def dispatch(session: AsyncSession, routing: RoutingSettings) -> list[tuple[int, int]]:
    """Give queued tickets to free agents until nobody is free or nothing is queued; (ticket, agent) pairs.

    Tickets go in queue order across every team (highest priority, then oldest), so an agent without a
    team takes a VIP ticket of one team before an older plain ticket of another; each ticket goes to
    the free agent of its team (or of no team) assigned longest ago — never back to the agent who
    transferred it away (it waits for someone else, or for a claim).
    """
    online = await _lock_online_agents(session)
    loads = await loads_of(session, [u.id for u in online])
    free = [u for u in online if loads.get(u.id, 0) < capacity_of(u, routing)]
    epoch = utcnow().replace(year=1970)
    done: list[tuple[int, int]] = []
    passed: set[int] = set()  # heads only their transferring agent could take: left queued
    while free:
        # Only teams someone free can take: every head found has a candidate (but its transferrer).
        teams = None if any(u.team is None for u in free) else {u.team for u in free if u.team}
        ticket = await next_queued(session, teams, passed)
        if ticket is None:
            break
        candidates = [
            u
            for u in free
            if (u.team is None or u.team == ticket.team) and u.id != ticket.transferred_from_id
        ]
        if not candidates:
            passed.add(ticket.id)
            continue
        user = min(candidates, key=lambda u: (u.last_assigned_at or epoch, u.id))
        assign(ticket, user)
        await session.flush()  # the next head query must not see this ticket as queued
        loads[user.id] = loads.get(user.id, 0) + 1
        if loads[user.id] >= capacity_of(user, routing):
            free.remove(user)
        done.append((ticket.id, user.id))
    return done
