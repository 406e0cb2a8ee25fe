"""Retention: personal data older than `[retention]` says is erased or anonymised, in small batches.

- conversations with no activity for `conversations_days` (and no open ticket) are erased like an erasure
  request erases them (`erase.delete_conversations`: anonymous counts stay), then customers left with no
  conversation and not seen since;
- resolved and closed tickets older than `tickets_days` lose their free text (question, page context,
  what the bot tried);
- gap questions older than `gaps_days` are deleted, with their embeddings.

Each batch is one short transaction, with a pause between batches, so chat writes never wait long for the
database. The background task (`retention_task`) runs every `interval_minutes` in one process at a time: on
PostgreSQL under an advisory lock (a process that finds it taken skips the round); SQLite is one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, exists, false, func, not_, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from config import RetentionSettings
from infra.db import utcnow
from knowledge.models import GapQuestion
from router.models import ChannelIdentity, Conversation, Customer, Message, Ticket
from router.privacy import audit
from router.privacy.erase import delete_conversations, delete_embeddings
from router.tickets import OPEN_STATUSES

log = logging.getLogger("kundresa.privacy")
KINDS = ("conversations", "messages", "customers", "tickets", "gap_questions")
LOCK_KEY = (0x4B55_4E44 << 32) | zlib.crc32(b"retention")  # infra/startup_lock.py's key range


def _cutoff(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


def _old_conversations(cutoff: datetime) -> Any:
    open_ticket = exists().where(Ticket.conversation_id == Conversation.id, Ticket.status.in_(OPEN_STATUSES))
    return select(Conversation.id).where(Conversation.updated_at < cutoff, not_(open_ticket))


def _old_customers(cutoff: datetime) -> Any:
    has_conv = exists().where(Conversation.customer_id == Customer.id)
    seen = exists().where(ChannelIdentity.customer_id == Customer.id, ChannelIdentity.last_seen_at >= cutoff)
    return select(Customer.id).where(Customer.created_at < cutoff, not_(has_conv), not_(seen))


def _tickets_with_text(cutoff: datetime) -> Any:
    done_at = func.coalesce(Ticket.closed_at, Ticket.resolved_at, Ticket.created_at)
    has_text = or_(
        Ticket.question.is_not(None),
        cast(Ticket.context, String) != "{}",
        cast(Ticket.bot_attempts, String) != "[]",
    )
    return select(Ticket.id).where(Ticket.status.in_(("resolved", "closed")), done_at < cutoff, has_text)


async def _count(session: AsyncSession, query: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)


async def run_retention(
    sessions: async_sessionmaker[AsyncSession],
    settings: RetentionSettings,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    prefixes: Iterable[str] = ("",),
    pause: float = 0.01,
) -> dict[str, int]:
    """Erase or anonymise what is due; with `dry_run`, only count it. Returns counts per kind."""
    now = now or utcnow()
    prefixes = list(prefixes)
    done = dict.fromkeys(KINDS, 0)
    convs = _cutoff(now, settings.conversations_days)
    tickets = _cutoff(now, settings.tickets_days)
    gaps = _cutoff(now, settings.gaps_days)
    batch = settings.batch_size
    if dry_run:
        async with sessions() as session:
            if convs is not None:
                ids = _old_conversations(convs)
                done["conversations"] = await _count(session, ids)
                done["messages"] = await _count(
                    session, select(Message.id).where(Message.conversation_id.in_(ids))
                )
                done["customers"] = await _customers_due(session, convs, ids)
            # What the conversations' step erases is not counted again below.
            going = _old_conversations(convs) if convs is not None else select(Conversation.id).where(false())
            if tickets is not None:
                q = _tickets_with_text(tickets).where(Ticket.conversation_id.not_in(going))
                done["tickets"] = await _count(session, q)
            if gaps is not None:
                q = select(GapQuestion.id).where(
                    GapQuestion.created_at < gaps,
                    or_(GapQuestion.conversation_id.is_(None), GapQuestion.conversation_id.not_in(going)),
                )
                done["gap_questions"] = await _count(session, q)
        return done
    if convs is not None:
        while ids := await _ids(sessions, _old_conversations(convs), batch):
            async with sessions() as session, session.begin():
                done["messages"] += await delete_conversations(session, ids, prefixes)
            done["conversations"] += len(ids)
            await asyncio.sleep(pause)
        while ids := await _ids(sessions, _old_customers(convs), batch):
            async with sessions() as session, session.begin():
                await session.execute(delete(ChannelIdentity).where(ChannelIdentity.customer_id.in_(ids)))
                await session.execute(
                    update(Customer).where(Customer.merged_into_id.in_(ids)).values(merged_into_id=None)
                )
                await session.execute(delete(Customer).where(Customer.id.in_(ids)))
            done["customers"] += len(ids)
            await asyncio.sleep(pause)
    if tickets is not None:
        while ids := await _ids(sessions, _tickets_with_text(tickets), batch):
            async with sessions() as session, session.begin():
                await session.execute(
                    update(Ticket)
                    .where(Ticket.id.in_(ids))
                    .values(question=None, context={}, bot_attempts=[])
                )
            done["tickets"] += len(ids)
            await asyncio.sleep(pause)
    if gaps is not None:
        old_gaps = select(GapQuestion.id).where(GapQuestion.created_at < gaps)
        while ids := await _ids(sessions, old_gaps, batch):
            async with sessions() as session, session.begin():
                texts = set(await session.scalars(select(GapQuestion.text).where(GapQuestion.id.in_(ids))))
                await delete_embeddings(session, texts, prefixes)
                await session.execute(delete(GapQuestion).where(GapQuestion.id.in_(ids)))
            done["gap_questions"] += len(ids)
            await asyncio.sleep(pause)
    if any(done.values()):
        await audit.log(sessions, audit.SYSTEM, "retention.run", "retention", None, dict(done))
        log.info("retention: %s", ", ".join(f"{k} {v}" for k, v in done.items() if v))
    return done


async def _customers_due(session: AsyncSession, cutoff: datetime, old_convs: Any) -> int:
    """Customers a run would delete: not seen since the cutoff, and all their conversations due too."""
    live_conv = exists().where(Conversation.customer_id == Customer.id, Conversation.id.not_in(old_convs))
    seen = exists().where(ChannelIdentity.customer_id == Customer.id, ChannelIdentity.last_seen_at >= cutoff)
    q = select(Customer.id).where(Customer.created_at < cutoff, not_(live_conv), not_(seen))
    return await _count(session, q)


async def _ids(sessions: async_sessionmaker[AsyncSession], query: Any, limit: int) -> list[int]:
    async with sessions() as session:
        return [int(i) for i in await session.scalars(query.order_by(text("1")).limit(limit))]


@contextlib.asynccontextmanager
async def exclusive(engine: AsyncEngine) -> AsyncIterator[bool]:
    """True when this process may run retention now: PostgreSQL's advisory lock (not waited for) on a
    connection of its own; SQLite serves one process."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    async with engine.connect() as conn:
        got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}))
        await conn.commit()
        try:
            yield got
        finally:
            if got:
                await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                await conn.commit()


async def retention_task(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    settings: RetentionSettings,
    prefixes: Iterable[str] = ("",),
    first_delay: float = 30.0,
) -> None:
    """Run retention every `interval_minutes` until cancelled; a failed round is logged and retried later."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            async with exclusive(engine) as mine:
                if mine:
                    await run_retention(sessions, settings, prefixes=prefixes)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("a retention round failed; the next one tries again")
        await asyncio.sleep(settings.interval_minutes * 60)


def anything_to_do(settings: RetentionSettings) -> bool:
    return any((settings.conversations_days, settings.tickets_days, settings.gaps_days))


__all__ = ["KINDS", "anything_to_do", "exclusive", "retention_task", "run_retention"]
