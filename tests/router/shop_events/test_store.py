"""router/shop_events/store.py on a migrated SQLite database: events against the customer (and those
merged into them), as timeline entries, and the recent payment failure a handoff is prioritised by."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from infra.db import utcnow
from router.models import Conversation, Customer
from router.shop_events.catalog import EventIn
from router.shop_events.store import events_for_timeline, recent_payment_failure, store_event

DECLINED = EventIn("payment_failed", "card_declined", {"order_id": "NH-1", "amount": 1847, "currency": "SEK"})


async def test_an_event_is_stored_on_the_customers_conversation_if_there_is_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        alone, talking = Customer(name="a"), Customer(name="b")
        session.add_all([alone, talking])
        await session.flush()
        conv = Conversation(customer_id=talking.id)
        session.add(conv)
        await session.flush()
        first = await store_event(session, alone.id, DECLINED, source="shop", signature="ab12")
        second = await store_event(session, talking.id, DECLINED, source="web", context={"step": "pay"})
        assert first.id is not None and first.conversation_id is None  # an event starts no conversation
        assert second.conversation_id == conv.id


async def test_timeline_entries_include_merged_customers_oldest_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        kept, merged = Customer(name="kept"), Customer(name="merged")
        session.add_all([kept, merged])
        await session.flush()
        merged.merged_into_id = kept.id
        older = await store_event(session, merged.id, DECLINED, source="web")
        older.created_at = utcnow() - timedelta(minutes=5)
        await store_event(session, kept.id, EventIn("checkout_idle", None, {"seconds": 90}), source="shop")
        entries = await events_for_timeline(session, kept.id)
        assert [e["payload"]["name"] for e in entries] == ["payment_failed", "checkout_idle"]
        assert [e["channel"] for e in entries] == ["web", "shop"]
        assert entries[0]["seq"] == f"e{older.id}" and entries[0]["conversation_id"] is None
        assert entries[0]["text"].startswith("Betalningen misslyckades: card_declined")
        assert "1 847 kr" in entries[0]["text"]
        assert [e["payload"]["name"] for e in await events_for_timeline(session, kept.id, limit=1)] == [
            "checkout_idle"
        ]


async def test_recent_payment_failure_unless_paid_since_or_too_old(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        customer = Customer(name="c")
        session.add(customer)
        await session.flush()
        assert await recent_payment_failure(session, customer.id, 30) is None
        failed = await store_event(session, customer.id, DECLINED, source="shop")
        assert await recent_payment_failure(session, customer.id, 30) is failed
        assert await recent_payment_failure(session, customer.id, 0) is None  # turned off
        later = utcnow() + timedelta(minutes=31)
        assert await recent_payment_failure(session, customer.id, 30, now=later) is None
        paid = await store_event(session, customer.id, EventIn("payment_succeeded", None), source="shop")
        paid.created_at = failed.created_at + timedelta(seconds=1)
        await session.flush()
        assert await recent_payment_failure(session, customer.id, 30) is None
