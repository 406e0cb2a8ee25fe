"""`GET /api/articles/health` (admin): per article how often the bot showed it, "helped" / "didn't help"
and the handoffs after it (answers of it that were the conversation's last before a ticket opened: never
more than it was shown), from four grouped queries."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, select

from infra.app_keys import SESSIONS
from knowledge.models import Article
from router.models import Feedback, Message, Ticket
from router.web import requires

__all__ = ["add_routes"]


@requires("admin")
async def article_health(request: web.Request) -> web.Response:
    """Per article: shown (bot answers carrying it), helped / not helped, handoffs after it."""
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
    async with request.app[SESSIONS]() as session:
        articles = (
            await session.execute(
                select(Article.slug, Article.title, Article.status, Article.lang, Article.tags).order_by(
                    Article.id
                )
            )
        ).all()
        shown: dict[str, int] = dict(
            (
                await session.execute(
                    select(shown_slug, func.count(Message.id))
                    .where(Message.kind == "answer", Message.direction == "out")
                    .group_by(shown_slug)
                )
            ).all()
        )
        feedback: dict[tuple[str | None, bool], int] = {}
        rows = await session.execute(
            select(Feedback.article_slug, Feedback.helpful, func.count(Feedback.id))
            .where(Feedback.article_slug.is_not(None))
            .group_by(Feedback.article_slug, Feedback.helpful)
        )
        for slug, helpful, n in rows:
            feedback[(slug, bool(helpful))] = int(n)
        before = select(answered.label("message_id")).select_from(Ticket).subquery()
        handoffs: dict[str, int] = dict(
            (
                await session.execute(
                    select(shown_slug, func.count(func.distinct(Message.id)))
                    .join(before, before.c.message_id == Message.id)
                    .group_by(shown_slug)
                )
            ).all()
        )
    out = []
    for slug, title, status, lang, tags in articles:
        helped, not_helped = feedback.get((slug, True), 0), feedback.get((slug, False), 0)
        rated = helped + not_helped
        out.append(
            {
                "slug": slug,
                "title": title,
                "status": status,
                "lang": lang,
                "tags": list(tags or []),
                "shown": int(shown.get(slug, 0)),
                "helped": helped,
                "not_helped": not_helped,
                "helped_rate": round(helped / rated, 4) if rated else None,
                "handoffs": int(handoffs.get(slug, 0)),
            }
        )
    out.sort(key=lambda a: (-int(str(a["shown"])), -int(str(a["handoffs"])), str(a["slug"])))
    return web.json_response({"articles": out, "count": len(out)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/articles/health", article_health)
