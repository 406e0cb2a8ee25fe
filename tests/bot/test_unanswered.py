"""bot/unanswered.py on its own: which stored customer messages count as unanswered, and which handoffs as
unannounced. (Recovery answering them: tests/bot/test_recovery.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.unanswered import find_unannounced, find_unanswered
from config import DatabaseSettings
from infra.db import create_engine, create_sessionmaker, utcnow
from infra.migrate import upgrade
from router.models import Conversation, Customer, Message, Ticket


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/unanswered.db"))
    await upgrade(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def conversation(session: AsyncSession, owner: str = "bot") -> Conversation:
    customer = Customer()
    session.add(customer)
    await session.flush()
    conv = Conversation(customer_id=customer.id, owner=owner, bot_state={"lang": "en"})
    session.add(conv)
    await session.flush()
    return conv


def stored(
    conv: Conversation, seq: int, *, out: bool = False, kind: str = "message", **payload: Any
) -> Message:
    return Message(
        conversation_id=conv.id,
        seq=seq,
        channel="web",
        direction="out" if out else "in",
        author_kind="bot" if out else "customer",
        kind=kind,
        text="q" if not out else "a",
        payload=payload,
    )


async def test_a_message_is_unanswered_until_a_reply_names_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    since = utcnow() - timedelta(minutes=1)
    async with sessions() as session, session.begin():
        conv = await conversation(session)
        session.add_all(
            [stored(conv, 1), stored(conv, 2, out=True, kind="answer", reply_to=1), stored(conv, 3)]
        )
        # a notice naming nothing (a greeting's) does not answer message 3
        session.add(stored(conv, 4, out=True, kind="notice"))
    async with sessions() as session:
        pending = await find_unanswered(session, since=since)
    assert [(p.conversation_id, p.seq, p.bot_state) for p in pending] == [(conv.id, 3, {"lang": "en"})]
    async with sessions() as session, session.begin():
        session.add(stored(conv, 5, out=True, kind="agent_message"))  # a person's reply answers all before it
    async with sessions() as session:
        assert await find_unanswered(session, since=since) == []


async def test_agent_owned_and_old_messages_are_not_recoverys(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        agents = await conversation(session, owner="agent")
        session.add(stored(agents, 1))
    async with sessions() as session:
        assert await find_unanswered(session, since=utcnow() - timedelta(minutes=1)) == []
        assert await find_unanswered(session, since=utcnow() + timedelta(minutes=1)) == []


async def test_a_handoff_is_unannounced_until_its_frame_is_stored(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    since = utcnow() - timedelta(minutes=1)
    async with sessions() as session, session.begin():
        conv = await conversation(session, owner="agent")
        ticket = Ticket(conversation_id=conv.id, customer_id=conv.customer_id, team="support", reason="asked")
        session.add(ticket)
    async with sessions() as session:
        [pending] = await find_unannounced(session, since=since)
    assert (pending.ticket_id, pending.seq) == (ticket.id, None)
    assert pending.describe() == f"the handoff to ticket {ticket.id} of conversation {conv.id}"
    async with sessions() as session, session.begin():
        session.add(stored(conv, 1, out=True, kind="handoff"))
    async with sessions() as session:
        assert await find_unannounced(session, since=since) == []
