"""Gap questions in the database: record one, read the unhandled, mark them handled (optionally teaching an
article their texts). Session-level like knowledge/repository.py; `KnowledgeWrites` owns the transactions
and the index refresh."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config import ValidationError
from knowledge import repository as repo
from knowledge.models import GapQuestion

MAX_QUESTIONS = 2000  # newest unhandled questions considered: keeps the n x n matrix small


def record(
    session: AsyncSession, question: str, reason: str, conversation_id: int | None, channel: str | None
) -> None:
    session.add(GapQuestion(text=question, reason=reason, conversation_id=conversation_id, channel=channel))


async def unhandled(session: AsyncSession, since: datetime | None = None) -> list[GapQuestion]:
    """The newest `MAX_QUESTIONS` unhandled gap questions, oldest first."""
    query = select(GapQuestion).where(GapQuestion.handled.is_(False))
    if since is not None:
        query = query.where(GapQuestion.created_at >= since)
    rows = list(await session.scalars(query.order_by(GapQuestion.created_at.desc()).limit(MAX_QUESTIONS)))
    rows.reverse()  # oldest first: ties in grouping favour the question seen first
    return rows


async def mark_handled(
    session: AsyncSession, ids: Sequence[int], article_slug: str | None, *, author: str | None
) -> list[str]:
    """Mark gap questions handled; with an article, their texts become its example questions (one new
    version, source "gap"). An unknown article is a 404 and an unknown id a 400, before anything changes.
    Returns the texts the article learned."""
    wanted = sorted({int(i) for i in ids})
    learned: list[str] = []
    article = await repo.get(session, article_slug) if article_slug else None
    rows = list(await session.scalars(select(GapQuestion).where(GapQuestion.id.in_(wanted))))
    missing = set(wanted) - {r.id for r in rows}
    if missing:
        raise ValidationError(f"no gap questions with ids {sorted(missing)}", code="unknown_gap_question")
    await session.execute(
        update(GapQuestion)
        .where(GapQuestion.id.in_(wanted))
        .values(handled=True, **({"article_id": article.id} if article is not None else {}))
    )
    if article is not None:
        data = repo.to_data(article)
        have = set(data.questions)
        for row in sorted(rows, key=lambda r: r.id):
            text = row.text.strip()
            if text and text not in have:
                have.add(text)
                learned.append(text)
        if learned:
            data.questions = [*data.questions, *learned]
            await repo.upsert(session, data, author=author, question_source="gap")
    return learned


async def settle_conversation(
    session: AsyncSession, conversation_id: int, article_slug: str, since: datetime | None
) -> int:
    """The conversation's unhandled gap questions (from `since` on) are handled by the article; how many."""
    article = await repo.get(session, article_slug)
    query = update(GapQuestion).where(
        GapQuestion.conversation_id == conversation_id, GapQuestion.handled.is_(False)
    )
    if since is not None:
        query = query.where(GapQuestion.created_at >= since)
    result = await session.execute(query.values(handled=True, article_id=article.id))
    return int(getattr(result, "rowcount", 0) or 0)
