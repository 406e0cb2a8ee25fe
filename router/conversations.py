"""Conversations and their messages: one conversation per customer across channels, ordered by `seq`."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from config import NotFoundError
from router.models import Conversation, Message

__all__ = [
    "ConversationLocks",
    "client_message",
    "current_conversation",
    "lock",
    "message_json",
    "messages_after",
    "owner_of",
    "replay_frame",
]


class ConversationLocks:
    """One asyncio lock per conversation in this process: every write to a conversation (a message, a
    resolve, a close) takes it, so this process's writes queue in asyncio rather than on the database row
    lock (which they also take, for the other processes). Held weakly: a lock nobody holds or waits for
    is dropped, so there is no lock per conversation ever seen."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, conversation_id: int) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = self._locks[conversation_id] = asyncio.Lock()
        return lock


async def current_conversation(session: AsyncSession, customer_id: int) -> Conversation:
    """The customer's conversation (created on first contact). Locked for update on PostgreSQL."""
    conv = await session.scalar(
        select(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.merged_into_id.is_(None))
        .order_by(Conversation.id)  # the first one: merges fold other conversations into it
        .limit(1)
        .with_for_update()
    )
    if conv is None:
        conv = Conversation(customer_id=customer_id, next_seq=1, context={}, last_address={}, bot_state={})
        session.add(conv)
        await session.flush()
    return conv


async def lock(session: AsyncSession, conversation_id: int) -> Conversation:
    """The conversation, row-locked until the transaction ends: the lock `take_seq` takes too."""
    conv = await session.get(Conversation, conversation_id, with_for_update=True, populate_existing=True)
    if conv is None:
        raise NotFoundError(f"conversation {conversation_id} not found", code="conversation_not_found")
    return conv


async def client_message(session: AsyncSession, conversation_id: int, client_id: str) -> Any:
    """(seq, text) of the customer message with this client id, if it was stored before."""
    m = Message
    stmt = select(m.seq, m.text).where(m.conversation_id == conversation_id, m.client_id == client_id)
    return (await session.execute(stmt)).first()


async def owner_of(session: AsyncSession, conversation_id: int) -> str:
    """Who answers the conversation now: `bot` or `agent`."""
    owner = await session.scalar(select(Conversation.owner).where(Conversation.id == conversation_id))
    if owner is None:
        raise NotFoundError(f"conversation {conversation_id} not found", code="conversation_not_found")
    return str(owner)


async def messages_after(
    session: AsyncSession, conversation_id: int, after: int, limit: int = 500
) -> list[Message]:
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.seq > after, Message.internal.is_(False))
        .order_by(Message.seq)
        .limit(limit)
    )
    return list(rows)


def replay_frame(msg: Message) -> dict[str, Any]:
    """What a reconnecting client gets for a stored message: the frame as sent, or its own message."""
    if msg.direction == "out" and msg.payload:
        return dict(msg.payload)
    return {
        "type": "message",
        "author": "customer",
        "id": msg.client_id,
        "text": msg.text,
        "seq": msg.seq,
        "at": msg.created_at.isoformat(timespec="seconds"),
    }


def message_json(m: Message) -> dict[str, Any]:
    """A stored message as the agent API and console show it (an item of a ticket's `timeline`)."""
    return {
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "channel": m.channel,
        "direction": m.direction,
        "author": m.author_kind,
        "kind": m.kind,
        "text": m.text,
        "internal": m.internal,
        "context": m.context,
        "payload": m.payload,
        "created_at": m.created_at.isoformat(),
    }
