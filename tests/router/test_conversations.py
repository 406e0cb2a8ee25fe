"""router/conversations.py on a migrated SQLite database: a customer's one conversation, who owns it, the
messages a reconnecting client is replayed (never internal notes) and how they look."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import NotFoundError
from router import conversations as convs
from router.models import Customer, Message


def message(conv_id: int, seq: int, **kw: object) -> Message:
    fields = {
        "channel": "web",
        "direction": "in",
        "author_kind": "customer",
        "kind": "message",
        "text": f"m{seq}",
    }
    return Message(conversation_id=conv_id, seq=seq, **(fields | kw))


async def test_one_conversation_per_customer_and_its_replay(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        customer = Customer(name="k")
        session.add(customer)
        await session.flush()
        conv = await convs.current_conversation(session, customer.id)
        assert (await convs.current_conversation(session, customer.id)).id == conv.id
        assert await convs.owner_of(session, conv.id) == "bot"
        session.add_all(
            [
                message(conv.id, 1, client_id="c-1"),
                message(conv.id, 2, direction="out", author_kind="bot", kind="answer",
                        payload={"type": "answer", "seq": 2, "text": "svar"}),
                message(conv.id, 3, direction="out", author_kind="agent", kind="note", internal=True),
            ]
        )  # fmt: skip
        await session.flush()
        replay = [convs.replay_frame(m) for m in await convs.messages_after(session, conv.id, 0)]
        assert [f["seq"] for f in replay] == [1, 2]  # the note is never replayed
        assert replay[0]["type"] == "message" and replay[0]["id"] == "c-1" and replay[0]["text"] == "m1"
        assert replay[1] == {"type": "answer", "seq": 2, "text": "svar"}  # the frame as it was sent
        assert await convs.messages_after(session, conv.id, 2) == []
        assert tuple(await convs.client_message(session, conv.id, "c-1")) == (1, "m1")
        assert await convs.client_message(session, conv.id, "c-2") is None
        [first] = await convs.messages_after(session, conv.id, 0, limit=1)
        shown = convs.message_json(first)
        assert (shown["author"], shown["direction"], shown["internal"]) == ("customer", "in", False)


async def test_an_unknown_conversation_is_not_found(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        with pytest.raises(NotFoundError):
            await convs.owner_of(session, 999)
        with pytest.raises(NotFoundError):
            await convs.lock(session, 999)
