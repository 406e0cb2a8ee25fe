"""router/models/delivery.py: an inbox item is stored once per (source, event id), however often it is
delivered; outbox events keep their topic and data."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.models import InboxItem, OutboxEvent


def item() -> InboxItem:
    return InboxItem(source="slack", event_id="Ev1", kind="event", lane="U1", payload={"x": 1})


async def test_a_retried_delivery_is_stored_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        first = item()
        session.add(first)
        session.add(OutboxEvent(topic="tickets", data={"ticket_id": 1}))
        await session.flush()
        assert (first.status, first.attempts, first.locked_by) == ("pending", 0, None)
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(item())
    async with sessions() as session:
        event = await session.get(OutboxEvent, 1)
        assert event is not None and event.data == {"ticket_id": 1}
