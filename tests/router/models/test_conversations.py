"""router/models/conversations.py: a conversation starts with the bot and seq 1; a seq is used once."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.models import Conversation, Customer, Message


def message(conversation_id: int, seq: int) -> Message:
    return Message(
        conversation_id=conversation_id,
        seq=seq,
        channel="web",
        direction="in",
        author_kind="customer",
        kind="message",
        text="hej",
    )


async def test_defaults_and_one_message_per_seq(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        customer = Customer()
        session.add(customer)
        await session.flush()
        conv = Conversation(customer_id=customer.id)
        session.add(conv)
        await session.flush()
        assert (conv.owner, conv.next_seq, conv.emailed_seq, conv.merged_into_id) == ("bot", 1, 0, None)
        session.add(message(conv.id, 1))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(message(conv.id, 1))
