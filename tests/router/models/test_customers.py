"""router/models/customers.py: one identity per (kind, external id); a customer lists its identities."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from router.models import ChannelIdentity, Customer


async def test_an_identity_belongs_to_one_customer(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        anna, bo = Customer(name="Anna"), Customer(name="Bo")
        session.add_all([anna, bo])
        await session.flush()
        session.add(ChannelIdentity(customer_id=anna.id, kind="web_user", external_id="u-1", verified=True))
        session.add(ChannelIdentity(customer_id=anna.id, kind="web_visitor", external_id="v-1"))
    async with sessions() as session:
        found = await session.scalar(
            select(Customer).where(Customer.name == "Anna").options(selectinload(Customer.identities))
        )
        assert found is not None
        assert sorted(i.kind for i in found.identities) == ["web_user", "web_visitor"]
        assert not found.vip and found.merged_into_id is None
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(ChannelIdentity(customer_id=bo.id, kind="web_user", external_id="u-1"))
