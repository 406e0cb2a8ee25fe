"""Whose data is it: a customer (with the customers merged into them) and everything that points at them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from config import NotFoundError, ValidationError
from knowledge.models import GapQuestion
from router.models import ChannelIdentity, Conversation, Customer, Message, Ticket

MAX_MERGE_DEPTH = 50  # a chain of merges longer than this is not a person, it is a bug


@dataclass
class Subject:
    """A data subject: the customer asked for, the customers merged into them, and their rows' ids."""

    customer_id: int
    customers: list[Customer]
    identities: list[ChannelIdentity]
    conversation_ids: list[int]
    ticket_ids: list[int]
    gap_ids: list[int]
    # Free text the customer wrote or that was taken from what they wrote: message texts, ticket questions,
    # gap questions. What an erasure looks for elsewhere (embeddings, examples, queues).
    texts: set[str] = field(default_factory=set)

    @property
    def customer_ids(self) -> list[int]:
        return [c.id for c in self.customers]

    def needles(self) -> set[str]:
        """Strings that mark a queued event or a log line as theirs: names, emails, identities."""
        found = {i.external_id for i in self.identities}
        for c in self.customers:
            found |= {v for v in (c.name, c.email) if v}
        return {n for n in found if len(n) >= 4}


def _text_of(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else None
    return text or None


async def find_customer_id(
    session: AsyncSession,
    *,
    customer_id: int | None = None,
    email: str | None = None,
    user_id: str | None = None,
) -> int:
    """The live customer meant by an id, a verified email or the shop's user id (a merged one: its target)."""
    if sum(v is not None for v in (customer_id, email, user_id)) != 1:
        raise ValidationError("name exactly one of: a customer id, a verified email, a user id")
    if email is not None:
        found = await session.scalar(
            select(ChannelIdentity.customer_id)
            .where(ChannelIdentity.kind == "email", ChannelIdentity.external_id == email.strip().lower())
            .limit(1)
        )
        if found is None:
            found = await session.scalar(
                select(Customer.id).where(func.lower(Customer.email) == email.strip().lower()).limit(1)
            )
        if found is None:
            raise NotFoundError("no customer with that verified email")
        customer_id = int(found)
    elif user_id is not None:
        found = await session.scalar(
            select(ChannelIdentity.customer_id)
            .where(
                ChannelIdentity.kind.in_(("web_user", "slack_user")), ChannelIdentity.external_id == user_id
            )
            .order_by(ChannelIdentity.kind)
            .limit(1)
        )
        if found is None:
            raise NotFoundError("no customer with that user id")
        customer_id = int(found)
    if customer_id is None:  # unreachable after the check above; says so to the type checker too
        raise ValidationError("name exactly one of: a customer id, a verified email, a user id")
    customer = await session.get(Customer, customer_id)
    for _ in range(MAX_MERGE_DEPTH):
        if customer is None or customer.merged_into_id is None:
            break
        customer = await session.get(Customer, customer.merged_into_id)
    if customer is None:
        raise NotFoundError(f"no customer {customer_id}")
    return customer.id


async def load_subject(session: AsyncSession, customer_id: int) -> Subject:
    """The customer and every customer merged into them (at any depth), and what belongs to them."""
    root = await session.get(Customer, customer_id)
    if root is None:
        raise NotFoundError(f"no customer {customer_id}")
    customers, frontier = [root], [root.id]
    for _ in range(MAX_MERGE_DEPTH):
        if not frontier:
            break
        merged = list(await session.scalars(select(Customer).where(Customer.merged_into_id.in_(frontier))))
        merged = [c for c in merged if c.id not in {x.id for x in customers}]
        customers += merged
        frontier = [c.id for c in merged]
    ids = [c.id for c in customers]
    identities = list(
        await session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.customer_id.in_(ids)).order_by(ChannelIdentity.id)
        )
    )
    conv_ids = [
        int(i)
        for i in await session.scalars(
            select(Conversation.id).where(Conversation.customer_id.in_(ids)).order_by(Conversation.id)
        )
    ]
    ticket_ids = [
        int(i)
        for i in await session.scalars(
            select(Ticket.id)
            .where(or_(Ticket.customer_id.in_(ids), Ticket.conversation_id.in_(conv_ids)))
            .order_by(Ticket.id)
        )
    ]
    subject = Subject(customer_id, customers, identities, conv_ids, ticket_ids, [])
    texts = subject.texts
    for text in await session.scalars(
        select(Message.text).where(Message.conversation_id.in_(conv_ids), Message.author_kind == "customer")
    ):
        if t := _text_of(text):
            texts.add(t)
    for question in await session.scalars(select(Ticket.question).where(Ticket.id.in_(ticket_ids))):
        if t := _text_of(question):
            texts.add(t)
    gaps = await session.execute(
        select(GapQuestion.id, GapQuestion.text).where(GapQuestion.conversation_id.in_(conv_ids))
    )
    for gap_id, text in gaps:
        subject.gap_ids.append(int(gap_id))
        if t := _text_of(text):
            texts.add(t)
    return subject
