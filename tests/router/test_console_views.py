"""router/console_views.py: a ticket as the console lists it, and the snapshot a console gets on connect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import DatabaseSettings
from infra.db import create_engine, create_sessionmaker
from infra.migrate import upgrade
from router.console_views import snapshot, ticket_view
from router.models import ChannelIdentity, Conversation, Customer, Ticket, User


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/views.db"))
    await upgrade(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def ticket_for(session: AsyncSession, customer: Customer, **fields: object) -> Ticket:
    conv = Conversation(customer_id=customer.id)
    session.add(conv)
    await session.flush()
    ticket = Ticket(
        conversation_id=conv.id, customer_id=customer.id, team="support", reason="asked", **fields
    )
    session.add(ticket)
    await session.flush()
    return ticket


async def test_ticket_view_names_the_customer_and_the_assignee(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        agent = User(name="olga", role="agent", token_hash="a" * 64, team="support")
        signed_in = Customer(vip=True)
        anonymous = Customer()
        session.add_all([agent, signed_in, anonymous])
        await session.flush()
        session.add(
            ChannelIdentity(customer_id=signed_in.id, kind="web_user", external_id="u-42", verified=True)
        )
        mine = await ticket_for(session, signed_in, status="assigned", assignee_id=agent.id, priority=1)
        queued = await ticket_for(session, anonymous)
        view = await ticket_view(session, mine)
        assert view["id"] == mine.id and view["assignee"] == "olga"
        assert view["customer"] == {
            "id": signed_in.id,
            "name": None,
            "email": None,
            "vip": True,
            "display_name": "u-42",  # no name or email: the verified id
        }
        other = await ticket_view(session, queued)
        assert other["assignee"] is None and other["customer"]["display_name"] is None

        first = await snapshot(session, agent)
    assert first["type"] == "snapshot"
    assert [t["id"] for t in first["queue"]] == [queued.id]
    assert [t["id"] for t in first["mine"]] == [mine.id]
    assert first["agent"] == {
        "id": agent.id,
        "name": "olga",
        "team": "support",
        "presence": "away",
        "role": "agent",
    }
