"""A customer's data as one JSON document (GDPR art. 15 and 20): `GET /api/customers/{id}/export` and
`kundresa customer export`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.db import iso, utcnow
from knowledge.learned_examples import find as find_learned
from knowledge.models import GapQuestion
from router.conversations import message_json
from router.models import (
    Conversation,
    Feedback,
    IdentityMerge,
    InboxItem,
    Message,
    ProactiveOffer,
    ShopEvent,
    Ticket,
)
from router.privacy.scan import related_rows
from router.privacy.subject import Subject, load_subject
from router.tickets import ticket_json

FORMAT = "kundresa.customer-export/1"


async def learned_examples(session: AsyncSession, subject: Subject) -> list[dict[str, Any]]:
    """Example questions the knowledge base learned from what this customer wrote."""
    rows = await find_learned(session, subject.texts)
    return [{"id": q.id, "article": q.slug, "text": q.text, "source": q.source} for q in rows]


async def export_customer(session: AsyncSession, customer_id: int) -> dict[str, Any]:
    subject = await load_subject(session, customer_id)
    conv_ids = subject.conversation_ids
    conversations: list[dict[str, Any]] = []
    contexts: list[dict[str, Any]] = []
    for conv in await session.scalars(
        select(Conversation).where(Conversation.id.in_(conv_ids)).order_by(Conversation.id)
    ):
        messages = list(
            await session.scalars(
                select(Message).where(Message.conversation_id == conv.id).order_by(Message.seq)
            )
        )
        for m in messages:
            if m.context:
                contexts.append(
                    {"conversation_id": conv.id, "seq": m.seq, "at": iso(m.created_at), **m.context}
                )
        conversations.append(
            {
                "id": conv.id,
                "created_at": iso(conv.created_at),
                "updated_at": iso(conv.updated_at),
                "last_channel": conv.last_channel,
                "context": conv.context,
                "messages": [message_json(m) for m in messages],
            }
        )
    message_count = sum(len(c["messages"]) for c in conversations)
    tickets = [
        ticket_json(t)
        for t in await session.scalars(
            select(Ticket).where(Ticket.id.in_(subject.ticket_ids)).order_by(Ticket.id)
        )
    ]
    feedback = [
        {
            "conversation_id": f.conversation_id,
            "article": f.article_slug,
            "helpful": f.helpful,
            "at": iso(f.created_at),
        }
        for f in await session.scalars(
            select(Feedback).where(Feedback.conversation_id.in_(conv_ids)).order_by(Feedback.id)
        )
    ]
    gaps = [
        {"id": g.id, "text": g.text, "reason": g.reason, "channel": g.channel, "at": iso(g.created_at)}
        for g in await session.scalars(
            select(GapQuestion).where(GapQuestion.id.in_(subject.gap_ids)).order_by(GapQuestion.id)
        )
    ]
    ids = subject.customer_ids
    merges = [
        {
            "id": r.id,
            "source_customer_id": r.source_customer_id,
            "target_customer_id": r.target_customer_id,
            "evidence": r.evidence,
            "at": iso(r.created_at),
            "undone_at": iso(r.undone_at),
        }
        for r in await session.scalars(
            select(IdentityMerge)
            .where(or_(IdentityMerge.source_customer_id.in_(ids), IdentityMerge.target_customer_id.in_(ids)))
            .order_by(IdentityMerge.id)
        )
    ]
    events = [
        {
            "source": r.source,
            "kind": r.kind,
            "status": r.status,
            "at": iso(r.created_at),
            "payload": r.payload,
        }
        for r in await related_rows(session, InboxItem, subject)
    ]
    shop_events = [
        {
            "id": e.id,
            "conversation_id": e.conversation_id,
            "name": e.name,
            "reason": e.reason,
            "source": e.source,
            "data": e.data,
            "page_context": e.context,
            "at": iso(e.created_at),
        }
        for e in await session.scalars(
            select(ShopEvent).where(ShopEvent.customer_id.in_(ids)).order_by(ShopEvent.id)
        )
    ]
    offers = [
        {
            "id": o.id,
            "rule": o.rule_key,
            "conversation_id": o.conversation_id,
            "event_id": o.event_id,
            "held_out": o.held_out,
            "opened_at": iso(o.opened_at),
            "dismissed_at": iso(o.dismissed_at),
            "at": iso(o.created_at),
        }
        for o in await session.scalars(
            select(ProactiveOffer).where(ProactiveOffer.customer_id.in_(ids)).order_by(ProactiveOffer.id)
        )
    ]
    root = subject.customers[0]
    return {
        "format": FORMAT,
        "exported_at": utcnow().isoformat(),
        "customer": {
            "id": root.id,
            "name": root.name,
            "email": root.email,
            "vip": root.vip,
            "created_at": iso(root.created_at),
            "merged_customers": [
                {"id": c.id, "name": c.name, "email": c.email, "created_at": iso(c.created_at)}
                for c in subject.customers[1:]
            ],
        },
        "identities": [
            {
                "customer_id": i.customer_id,
                "kind": i.kind,
                "external_id": i.external_id,
                "verified": i.verified,
                "created_at": iso(i.created_at),
                "last_seen_at": iso(i.last_seen_at),
            }
            for i in subject.identities
        ],
        "conversations": conversations,
        "page_contexts": contexts,
        "tickets": tickets,
        "csat": [{"ticket_id": t["id"], "score": t["csat"]} for t in tickets if t["csat"] is not None],
        "feedback": feedback,
        "gap_questions": gaps,
        "learned_examples": await learned_examples(session, subject),
        "identity_merges": merges,
        "events": events,
        "shop_events": shop_events,
        "proactive_offers": offers,
        "counts": {
            "conversations": len(conversations),
            "messages": message_count,
            "tickets": len(tickets),
        },
    }
