"""bot/queue_info.py on a migrated SQLite database: a handed-off customer's place in the queue, an honest
wait (none with nobody online), and who has their ticket."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.queue_info import Waiting, waiting_for
from config import RoutingSettings
from router.models import Conversation, Customer, Ticket, User

ROUTING = RoutingSettings(expected_wait_minutes=6)


async def queued(session: AsyncSession, team: str = "support", priority: int = 0) -> tuple[int, Ticket]:
    customer = Customer(name="k")
    session.add(customer)
    await session.flush()
    conv = Conversation(customer_id=customer.id)
    session.add(conv)
    await session.flush()
    ticket = Ticket(
        conversation_id=conv.id, customer_id=customer.id, team=team, reason="asked", priority=priority
    )
    session.add(ticket)
    await session.flush()
    return conv.id, ticket


async def test_place_and_wait_in_the_queue(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        first_conv, _ = await queued(session)
        third_conv, third = await queued(session)
        urgent_conv, _ = await queued(session, priority=50)  # jumps the queue
        await queued(session, team="billing")  # another team's queue
        nobody = await waiting_for(session, third_conv, ROUTING)
        assert nobody == Waiting(third.id, "open", 3, None, 0, None)  # nobody online: no figure
        session.add_all(
            [
                User(name="a", role="agent", token_hash="a", presence="online"),
                User(name="b", role="agent", token_hash="b", presence="online", team="support"),
                User(name="c", role="agent", token_hash="c", presence="online", team="billing"),
                User(name="d", role="agent", token_hash="d", presence="away"),
            ]
        )
        await session.flush()
        waiting = await waiting_for(session, third_conv, ROUTING)
        assert waiting is not None
        assert (waiting.position, waiting.agents_online, waiting.wait_minutes) == (3, 2, 9)  # ceil(3*6/2)
        urgent = await waiting_for(session, urgent_conv, ROUTING)
        assert urgent is not None and urgent.position == 1
        first = await waiting_for(session, first_conv, ROUTING)
        assert first is not None and first.to_json()["position"] == 2


async def test_an_assigned_ticket_names_the_agent_and_no_place(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        conv_id, ticket = await queued(session)
        agent = User(name="Sven", role="agent", token_hash="s", presence="online")
        session.add(agent)
        await session.flush()
        ticket.status, ticket.assignee_id = "assigned", agent.id
        await session.flush()
        waiting = await waiting_for(session, conv_id, ROUTING)
        assert waiting == Waiting(ticket.id, "assigned", None, None, 1, "Sven")
        ticket.status = "resolved"
        await session.flush()
        assert await waiting_for(session, conv_id, ROUTING) is None  # no active ticket
