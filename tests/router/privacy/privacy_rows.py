"""Rows of two customers on a migrated SQLite database, for the privacy modules' own tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from router.models import ChannelIdentity, Conversation, Customer, Message


async def customer_with_messages(
    session: AsyncSession, name: str, email: str, texts: list[str], **context: Any
) -> tuple[Customer, Conversation]:
    """A customer with a verified email, one web conversation and their messages (the first with context)."""
    customer = Customer(name=name, email=email)
    session.add(customer)
    await session.flush()
    session.add(ChannelIdentity(customer_id=customer.id, kind="email", external_id=email, verified=True))
    conv = Conversation(customer_id=customer.id, last_channel="web", next_seq=len(texts) + 1)
    session.add(conv)
    await session.flush()
    for seq, text in enumerate(texts, 1):
        session.add(
            Message(
                conversation_id=conv.id,
                seq=seq,
                channel="web",
                direction="in",
                author_kind="customer",
                kind="message",
                text=text,
                context=context if seq == 1 else {},
            )
        )
    await session.flush()
    return customer, conv
