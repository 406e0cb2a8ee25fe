"""router/lookup.py on a migrated SQLite database: the read-only look-up picks the customer that
`router.identity.resolve_customer` then picks (or None when it creates one), `complete` only when
resolving writes nothing, and the batched look-up answers as the single one."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.identity import Evidence, resolve_customer
from router.lookup import Known, Who, find_customer, find_customers
from router.models import ChannelIdentity, Conversation, Customer

V1, V2 = Evidence("web_visitor", "v-1", False), Evidence("web_visitor", "v-2", False)
ANNA, BO = Evidence("web_user", "anna", True), Evidence("web_user", "bo", True)

# Each step: the evidence a socket brings (and a verified email); run in order on one database.
STEPS: list[tuple[tuple[Evidence, ...], str | None]] = [
    ((V1,), None),  # nobody yet
    ((V1,), None),  # the same anonymous browser
    ((ANNA, V1), None),  # signs in: the anonymous customer verifies
    ((ANNA, V1), None),  # nothing left to write
    ((V1,), None),  # signed out on Anna's browser: a guest, not Anna
    ((BO, V1), "anna@example.com"),  # another verified user on that browser
    ((ANNA, V2), "anna@example.com"),  # Anna on a new browser, with her email
    ((Evidence("web_user", "anna2", True),), "anna@example.com"),  # a new id with Anna's verified email
]


async def test_look_up_agrees_with_resolve_and_writes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    outcomes = []
    for evidence, email in STEPS:
        async with sessions() as session:
            before = await session.scalar(select(func.count()).select_from(ChannelIdentity))
            known = await find_customer(session, evidence, email=email, vip=False)
            assert await session.scalar(select(func.count()).select_from(ChannelIdentity)) == before
            [batched] = await find_customers(session, [Who(evidence, email)])
            assert batched == known
        async with sessions() as session, session.begin():
            existing = set(await session.scalars(select(Customer.id)))
            customer = await resolve_customer(session, list(evidence), email=email)
            # as the chat does: the first action writes the conversation too
            if (
                await session.scalar(select(Conversation.id).where(Conversation.customer_id == customer.id))
                is None
            ):
                session.add(Conversation(customer_id=customer.id))
        async with sessions() as session:
            after = await session.scalar(select(func.count()).select_from(ChannelIdentity))
        step = (evidence, email)
        outcomes.append(None if known is None else known.complete)
        if known is None:
            assert customer.id not in existing, step
        else:
            assert known.customer_id == customer.id, step
            if known.complete:
                assert after == before, step
    assert {None, True, False} <= set(outcomes), outcomes  # the steps reach every kind of answer


async def test_conversation_and_head_of_a_known_customer(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        customer = await resolve_customer(session, [V1])
        session.add(Conversation(customer_id=customer.id, next_seq=8))
    async with sessions() as session:
        known = await find_customer(session, [V1], email=None, vip=False)
        assert known is not None and (known.head, known.complete) == (7, True)
        # a VIP flag the customer does not have yet is something to write
        vip = await find_customer(session, [V1], email=None, vip=True)
        assert vip is not None and not vip.complete
        assert await find_customers(session, []) == []


def test_who_wants_the_email_only_with_verified_evidence() -> None:
    assert Who((V1,), "Anna@Example.com").wanted() == [("web_visitor", "v-1")]
    assert Who((ANNA,), "Anna@Example.com").wanted() == [("web_user", "anna"), ("email", "anna@example.com")]
    assert Known(1, None, 0, False).conversation_id is None
