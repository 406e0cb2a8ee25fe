"""router/models/shop.py: a signed shop event is stored once; offers and rules keep what they need."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.models import Customer, ProactiveOffer, ProactiveRule, ShopEvent


async def test_a_signature_is_used_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        customer = Customer()
        session.add(customer)
        await session.flush()
        event = ShopEvent(customer_id=customer.id, name="payment_failed", source="server", signature="s" * 64)
        session.add(event)
        session.add(ProactiveRule(key="pay", spec={"event": "payment_failed"}))
        await session.flush()
        session.add(ProactiveOffer(rule_key="pay", customer_id=customer.id, event_id=event.id))
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(ShopEvent(customer_id=customer.id, name="x", source="server", signature="s" * 64))
    async with sessions() as session:
        offer = await session.get(ProactiveOffer, 1)
        assert offer is not None and not offer.held_out and offer.seq is None
