"""router/privacy/aggregates.py on a migrated SQLite database: an erased conversation leaves anonymous
counts (no text, no real id) that add back into the statistics' buckets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.models import ErasedStat, Message
from router.privacy.aggregates import add_erased, record_erased
from tests.router.privacy.privacy_rows import customer_with_messages


@dataclass
class Bucket:
    conversations: set[int] = field(default_factory=set)
    handed_off_convs: set[int] = field(default_factory=set)
    handoffs: set[tuple[int, Any]] = field(default_factory=set)
    answered: int = 0
    clarified: int = 0
    tickets_opened: int = 0
    first_response: list[float] = field(default_factory=list)
    tickets_resolved: int = 0
    csat: list[int] = field(default_factory=list)


def bot_message(conv_id: int, seq: int, kind: str, **payload: Any) -> Message:
    return Message(
        conversation_id=conv_id,
        seq=seq,
        channel="web",
        direction="out",
        author_kind="bot",
        kind=kind,
        text="svar",
        payload=payload,
        created_at=datetime(2026, 3, 2, 10, seq, tzinfo=UTC),
    )


async def test_erased_facts_count_once_more_in_the_buckets(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        _, conv = await customer_with_messages(session, "Kim Kund", "kim@example.com", ["Hej"])
        first = await session.scalar(select(Message).where(Message.conversation_id == conv.id))
        assert first is not None
        first.created_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        session.add_all(
            [
                bot_message(conv.id, 2, "answer"),
                bot_message(conv.id, 3, "answer"),
                bot_message(conv.id, 4, "clarify"),
                bot_message(conv.id, 5, "handoff", ticket=9),
            ]
        )
        await session.flush()
        assert await record_erased(session, [conv.id]) == 4  # conversation, answered, clarified, handoff
        assert await record_erased(session, []) == 0
        stats = list(await session.scalars(select(ErasedStat)))
        assert {s.metric for s in stats} == {"conversation", "answered", "clarified", "handoff"}
        assert len({s.ref for s in stats}) == 1  # one random ref for the conversation

        bucket, outside = Bucket(), Bucket()
        await add_erased(session, "2026-03-02", "2026-03-02", lambda _ts: [bucket])
        await add_erased(session, "2026-03-03", "2026-03-31", lambda _ts: [outside])
    assert (len(bucket.conversations), bucket.answered, bucket.clarified, len(bucket.handoffs)) == (
        1,
        2,
        1,
        1,
    )
    assert all(key < 0 for key in bucket.conversations)  # never a live conversation's id
    assert outside == Bucket()
