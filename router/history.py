"""A customer's earlier contacts, for the console beside the current ticket: conversations, tickets, CSAT
and the last time they wrote. Read-only, a handful of grouped queries."""

from __future__ import annotations

import statistics
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.db import iso
from router import tickets as tk
from router.models import ChannelIdentity, Conversation, Customer, Message, Ticket

__all__ = ["MAX_ITEMS", "customer_history", "display_name"]

MAX_ITEMS = 50


async def display_name(session: AsyncSession, customer: Customer) -> str | None:
    """What the console calls a customer: name, else verified email, else a verified identity's id
    (the shop's user id, a Slack user); None for an anonymous visitor (the console says "Customer #N")."""
    if customer.name or customer.email:
        return customer.name or customer.email
    ident = await session.scalar(
        select(ChannelIdentity.external_id)
        .where(ChannelIdentity.customer_id == customer.id, ChannelIdentity.verified.is_(True))
        .order_by(ChannelIdentity.id)
        .limit(1)
    )
    return str(ident) if ident else None


async def customer_history(session: AsyncSession, customer: Customer) -> dict[str, Any]:
    """`{"verified", "conversations", "tickets", "csat_average", "csat_count", "last_contact"}`, newest
    first (at most MAX_ITEMS of each)."""
    verified = bool(customer.email) or bool(
        await session.scalar(
            select(func.count())
            .select_from(ChannelIdentity)
            .where(ChannelIdentity.customer_id == customer.id, ChannelIdentity.verified.is_(True))
        )
    )
    counts = (
        select(
            Message.conversation_id,
            func.count(Message.id).label("n"),
            func.max(Message.created_at).label("last"),
        )
        .where(Message.internal.is_(False))
        .group_by(Message.conversation_id)
        .subquery()
    )
    conv_rows = (
        await session.execute(
            select(Conversation, counts.c.n, counts.c.last)
            .join(counts, counts.c.conversation_id == Conversation.id, isouter=True)
            .where(Conversation.customer_id == customer.id)
            .order_by(Conversation.id.desc())
            .limit(MAX_ITEMS)
        )
    ).all()
    tickets = list(
        await session.scalars(
            select(Ticket)
            .where(Ticket.customer_id == customer.id)
            .order_by(Ticket.id.desc())
            .limit(MAX_ITEMS)
        )
    )
    last_contact = await session.scalar(
        select(func.max(Message.created_at))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.customer_id == customer.id, Message.author_kind == "customer")
    )
    scores = [t.csat for t in tickets if t.csat is not None]
    return {
        "verified": verified,
        "conversations": [
            {
                "id": conv.id,
                "created_at": iso(conv.created_at),
                "last_message_at": iso(last),
                "messages": int(n or 0),
                "channel": conv.last_channel,
            }
            for conv, n, last in conv_rows
        ],
        "tickets": [
            {
                k: v
                for k, v in tk.ticket_json(t).items()
                if k
                in (
                    "id",
                    "conversation_id",
                    "status",
                    "reason",
                    "question",
                    "team",
                    "csat",
                    "resolved_article",
                    "created_at",
                    "resolved_at",
                )
            }
            for t in tickets
        ],
        "csat_average": round(statistics.fmean(scores), 2) if scores else None,
        "csat_count": len(scores),
        "last_contact": iso(last_contact),
    }
