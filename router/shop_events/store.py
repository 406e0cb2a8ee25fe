"""Shop events in the database: stored against the customer (a conversation is not needed), read back for
the customer's timeline, the Slack handoff post and ticket priority."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from config import Settings
from infra.db import utcnow
from router.models import Conversation, Customer, ShopEvent
from router.shop_events.catalog import PAYMENT_FAILED, EventIn
from router.shop_events.texts import event_line

__all__ = [
    "customer_ids_of",
    "event_json",
    "events_for_timeline",
    "recent_payment_failure",
    "store_event",
]


async def current_conversation_id(session: AsyncSession, customer_id: int) -> int | None:
    """The customer's conversation if they have one (read-only: an event does not start one)."""
    found: int | None = await session.scalar(
        select(Conversation.id)
        .where(Conversation.customer_id == customer_id, Conversation.merged_into_id.is_(None))
        .order_by(Conversation.id)
        .limit(1)
    )
    return found


async def store_event(
    session: AsyncSession,
    customer_id: int,
    event: EventIn,
    *,
    source: str,
    context: dict[str, Any] | None = None,
    signature: str | None = None,
) -> ShopEvent:
    """Add the event (flushed, not committed: the caller's transaction decides)."""
    row = ShopEvent(
        customer_id=customer_id,
        conversation_id=await current_conversation_id(session, customer_id),
        name=event.name,
        reason=event.reason,
        source=source,
        data=dict(event.data),
        context=dict(context or {}),
        signature=signature,
        created_at=utcnow(),
    )
    session.add(row)
    await session.flush()
    return row


async def customer_ids_of(session: AsyncSession, customer_id: int) -> list[int]:
    """This customer and those merged into them (their events stay on their own rows)."""
    merged = await session.scalars(select(Customer.id).where(Customer.merged_into_id == customer_id))
    return [customer_id, *merged]


def event_json(row: ShopEvent, settings: Settings | None = None) -> dict[str, Any]:
    lang = settings.proactive.agents_lang if settings is not None else "sv"
    tz = settings.proactive.timezone if settings is not None else "Europe/Stockholm"
    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "conversation_id": row.conversation_id,
        "name": row.name,
        "reason": row.reason,
        "source": row.source,
        "data": row.data,
        "context": row.context,
        "text": event_line(row.name, row.reason, row.data or {}, row.context or {}, row.created_at, lang, tz),
        "created_at": row.created_at.isoformat(),
    }


async def events_for_timeline(
    session: AsyncSession, customer_id: int, settings: Settings | None = None, limit: int = 500
) -> list[dict[str, Any]]:
    """The customer's events as timeline entries (the shape of a message: `kind` "event", author
    "system"), oldest first; the newest `limit`. Not messages of a conversation: `conversation_id` is
    null and `seq` is "e<event id>" (unique, never mistaken for a message's seq)."""
    ids = await customer_ids_of(session, customer_id)
    rows = list(
        await session.scalars(
            select(ShopEvent)
            .where(ShopEvent.customer_id.in_(ids))
            .order_by(ShopEvent.created_at.desc(), ShopEvent.id.desc())
            .limit(limit)
        )
    )
    out = []
    for row in reversed(rows):
        data = event_json(row, settings)
        out.append(
            {
                "conversation_id": None,
                "seq": f"e{row.id}",
                "event_id": row.id,
                "channel": "web" if row.source == "web" else "shop",
                "direction": "in",
                "author": "system",
                "kind": "event",
                "text": data["text"],
                "internal": False,
                "context": row.context,
                "payload": {
                    "name": row.name,
                    "reason": row.reason,
                    "source": row.source,
                    "data": row.data,
                    "conversation_id": row.conversation_id,
                },
                "created_at": data["created_at"],
            }
        )
    return out


async def recent_payment_failure(
    session: AsyncSession, customer_id: int, minutes: float, now: datetime | None = None
) -> ShopEvent | None:
    """The customer's latest `payment_failed` within `minutes`, unless a `payment_succeeded` came after."""
    if minutes <= 0:
        return None
    since = (now or utcnow()) - timedelta(minutes=minutes)
    ids = await customer_ids_of(session, customer_id)
    latest = await session.scalar(
        select(ShopEvent)
        .where(
            ShopEvent.customer_id.in_(ids),
            ShopEvent.created_at >= since,
            or_(ShopEvent.name == PAYMENT_FAILED, ShopEvent.name == "payment_succeeded"),
        )
        .order_by(ShopEvent.created_at.desc(), ShopEvent.id.desc())
        .limit(1)
    )
    return latest if latest is not None and latest.name == PAYMENT_FAILED else None
