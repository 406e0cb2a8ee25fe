"""How the bot's answers of each article fared: how often it was shown, "helped" / "didn't help", and the
handoffs after it (answers of it that were the conversation's last before a ticket opened: never more than
it was shown), from three grouped queries over the router's messages, feedback and tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.models import Feedback, Message, Ticket

__all__ = ["ArticleUsage", "article_health", "article_usage"]


@dataclass
class ArticleUsage:
    shown: dict[str, int] = field(default_factory=dict)
    feedback: dict[tuple[str | None, bool], int] = field(default_factory=dict)
    handoffs: dict[str, int] = field(default_factory=dict)


async def article_usage(sessions: async_sessionmaker[AsyncSession]) -> ArticleUsage:
    """Per article slug: bot answers carrying it, feedback on it, handoffs after it."""
    shown_slug = Message.payload[("article", "slug")].as_string()
    # The bot answer a handoff came after: the conversation's latest answer before the ticket opened.
    # Counting it (once per answer) instead of the ticket's first attempted article means an article
    # is never charged with a handoff it was not shown before (issue 14: "shown 0, handoffs 1").
    answered = (
        select(Message.id)
        .where(
            Message.conversation_id == Ticket.conversation_id,
            Message.kind == "answer",
            Message.direction == "out",
            Message.created_at <= Ticket.created_at,
        )
        .order_by(Message.created_at.desc(), Message.seq.desc())
        .limit(1)
        .correlate(Ticket)
        .scalar_subquery()
    )
    usage = ArticleUsage()
    async with sessions() as session:
        usage.shown = dict(
            (
                await session.execute(
                    select(shown_slug, func.count(Message.id))
                    .where(Message.kind == "answer", Message.direction == "out")
                    .group_by(shown_slug)
                )
            ).all()
        )
        rows = await session.execute(
            select(Feedback.article_slug, Feedback.helpful, func.count(Feedback.id))
            .where(Feedback.article_slug.is_not(None))
            .group_by(Feedback.article_slug, Feedback.helpful)
        )
        for slug, helpful, n in rows:
            usage.feedback[(slug, bool(helpful))] = int(n)
        before = select(answered.label("message_id")).select_from(Ticket).subquery()
        usage.handoffs = dict(
            (
                await session.execute(
                    select(shown_slug, func.count(func.distinct(Message.id)))
                    .join(before, before.c.message_id == Message.id)
                    .group_by(shown_slug)
                )
            ).all()
        )
    return usage


def article_health(articles: Sequence[dict[str, Any]], usage: ArticleUsage) -> list[dict[str, Any]]:
    """Each article (`KnowledgeBase.summaries`) with its usage, most shown first, then most handed off."""
    out = []
    for article in articles:
        slug = article["slug"]
        helped, not_helped = usage.feedback.get((slug, True), 0), usage.feedback.get((slug, False), 0)
        rated = helped + not_helped
        out.append(
            {
                **article,
                "shown": int(usage.shown.get(slug, 0)),
                "helped": helped,
                "not_helped": not_helped,
                "helped_rate": round(helped / rated, 4) if rated else None,
                "handoffs": int(usage.handoffs.get(slug, 0)),
            }
        )
    out.sort(key=lambda a: (-int(a["shown"]), -int(a["handoffs"]), str(a["slug"])))
    return out
