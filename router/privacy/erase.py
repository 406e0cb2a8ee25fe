"""Erase a customer (GDPR art. 17): `DELETE /api/customers/{id}` and `kundresa customer erase`.

In one transaction: the statistics' facts are kept as anonymous counts (`aggregates`), then the customer,
the customers merged into them, their identities, conversations (messages, page contexts), tickets,
feedback, gap questions, the embedding-cache rows of their texts, what the knowledge base learned from
them (`learned`) and queued work that mentions them (`scan`) are deleted. The audit entry is written in the
same transaction. Afterwards the app's own Slack posts about them are deleted where Slack allows (the
channel's `erase_posts`), the search index forgets the removed examples (the erase runs in a
`KnowledgeWrites.transaction`, the knowledge base's one door), and on SQLite the write-ahead log
is checkpointed (deleted content is zeroed with `secure_delete`, see infra/db.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from knowledge.models import EmbeddingCache, GapQuestion
from knowledge.writes import KnowledgeWrites
from router.channel import ChannelRegistry
from router.models import (
    ChannelIdentity,
    Conversation,
    Customer,
    Feedback,
    IdentityMerge,
    InboxItem,
    Message,
    OutboxEvent,
    ProactiveOffer,
    ShopEvent,
    Ticket,
)
from router.privacy import audit
from router.privacy.aggregates import record_erased
from router.privacy.learned import embedding_hashes, erase_learned
from router.privacy.scan import related_rows
from router.privacy.subject import Subject, find_customer_id, load_subject

log = logging.getLogger("kundresa.privacy")
CHUNK = 500


@runtime_checkable
class PostEraser(Protocol):
    """A channel that can delete what the app posted in its threads (Slack: `chat.delete`)."""

    name: str

    async def erase_posts(self, threads: list[dict[str, str]]) -> dict[str, int]: ...


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


async def slack_threads(
    session: AsyncSession, subject: Subject, inbox: list[InboxItem]
) -> list[dict[str, str]]:
    """Slack threads about the customer: their tickets' posts in the agents' channel, and the threads they
    wrote in (the bot's replies are there)."""
    found: set[tuple[str, str]] = set()
    for refs in await session.scalars(select(Ticket.external_refs).where(Ticket.id.in_(subject.ticket_ids))):
        slack = (refs or {}).get("slack") or {}
        if slack.get("channel") and slack.get("ts"):
            found.add((str(slack["channel"]), str(slack["ts"])))
    convs = await session.execute(
        select(Conversation.last_channel, Conversation.last_address).where(
            Conversation.id.in_(subject.conversation_ids)
        )
    )
    for channel, address in convs:
        if channel == "slack" and (address or {}).get("channel") and (address or {}).get("thread_ts"):
            found.add((str(address["channel"]), str(address["thread_ts"])))
    for client_id in await session.scalars(
        select(Message.client_id).where(
            Message.conversation_id.in_(subject.conversation_ids), Message.channel == "slack"
        )
    ):
        parts = str(client_id or "").split(":")
        if len(parts) == 3 and parts[0] == "slack":
            found.add((parts[1], parts[2]))
    for item in inbox:
        args = (item.payload or {}).get("args") or {}
        if item.kind == "call" and args.get("channel") and args.get("thread_ts"):
            found.add((str(args["channel"]), str(args["thread_ts"])))
    return [{"channel": c, "ts": ts} for c, ts in sorted(found)]


async def delete_conversations(
    session: AsyncSession, conversation_ids: list[int], prefixes: Iterable[str]
) -> int:
    """Delete conversations with their messages, tickets and feedback, their gap questions and the
    embeddings of their customers' texts, after keeping their statistics as anonymous counts (retention
    uses this too). Returns messages deleted."""
    messages = 0
    for ids in _chunks(conversation_ids):
        await record_erased(session, ids)
        texts = {
            t.strip()
            for t in await session.scalars(
                select(Message.text).where(
                    Message.conversation_id.in_(ids), Message.author_kind == "customer"
                )
            )
            if t and t.strip()
        }
        texts |= {
            t.strip()
            for t in await session.scalars(
                select(GapQuestion.text).where(GapQuestion.conversation_id.in_(ids))
            )
            if t and t.strip()
        }
        await delete_embeddings(session, texts, prefixes)
        await session.execute(delete(GapQuestion).where(GapQuestion.conversation_id.in_(ids)))
        await session.execute(delete(Feedback).where(Feedback.conversation_id.in_(ids)))
        await session.execute(delete(Ticket).where(Ticket.conversation_id.in_(ids)))
        result = await session.execute(delete(Message).where(Message.conversation_id.in_(ids)))
        messages += int(getattr(result, "rowcount", 0) or 0)
        await session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
    return messages


async def delete_embeddings(session: AsyncSession, texts: Iterable[str], prefixes: Iterable[str]) -> int:
    hashes = sorted(embedding_hashes(texts, prefixes))
    n = 0
    for chunk in _chunks(hashes):
        result = await session.execute(delete(EmbeddingCache).where(EmbeddingCache.text_hash.in_(chunk)))
        n += int(getattr(result, "rowcount", 0) or 0)
    return n


async def _sqlite_secure(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    await session.execute(text("PRAGMA secure_delete=ON"))  # freed content is zeroed, not just unlinked
    return True


async def checkpoint(sessions: async_sessionmaker[AsyncSession]) -> None:
    """SQLite: copy the log into the database and empty it, so deleted rows' old pages leave the -wal file."""
    async with sessions() as session:
        if session.get_bind().dialect.name == "sqlite":
            await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


async def erase_customer(
    knowledge: KnowledgeWrites,
    customer_id: int,
    *,
    actor: audit.Actor,
    keep_as: Mapping[int, Any] | None = None,
    prefixes: Iterable[str] = ("",),
    channels: ChannelRegistry | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Erase the customer; with `dry_run` only count what would go. The report holds counts and ids only."""
    keep_as = dict(keep_as or {})
    prefixes = list(prefixes)
    sessions = knowledge.sessions
    # One transaction through the knowledge base's door: the learned examples go with the customer, and
    # the articles they leave are reindexed (here and in every other process) once it commits.
    async with knowledge.transaction() as scope:
        session = scope.session
        sqlite = await _sqlite_secure(session) if not dry_run else False
        customer_id = await find_customer_id(session, customer_id=customer_id)  # a merged one: the person
        subject = await load_subject(session, customer_id)
        inbox = await related_rows(session, InboxItem, subject)
        threads = await slack_threads(session, subject, inbox)
        outbox = await related_rows(session, OutboxEvent, subject)
        learned = await erase_learned(scope, subject, keep_as, dry_run=dry_run)
        count_events = await session.scalar(
            select(func.count(ShopEvent.id)).where(ShopEvent.customer_id.in_(subject.customer_ids))
        )
        count_messages = await session.scalar(
            select(func.count(Message.id)).where(Message.conversation_id.in_(subject.conversation_ids))
        )
        report: dict[str, Any] = {
            "customer_id": subject.customer_id,
            "customers": subject.customer_ids,
            "identities": len(subject.identities),
            "conversations": len(subject.conversation_ids),
            "messages": int(count_messages or 0),
            "tickets": len(subject.ticket_ids),
            "gap_questions": len(subject.gap_ids),
            "shop_events": int(count_events or 0),
            "learned_examples_removed": learned["removed"],
            "learned_examples_kept": learned["kept"],
            "articles_changed": learned["articles"],
            "queued_events": len(inbox) + len(outbox),
            "slack_threads": len(threads),
            "dry_run": dry_run,
        }
        if dry_run:
            return report
        await delete_embeddings(session, subject.texts | learned["texts"], prefixes)
        for gap_ids in _chunks(subject.gap_ids):
            await session.execute(delete(GapQuestion).where(GapQuestion.id.in_(gap_ids)))
        for row in [*inbox, *outbox]:
            await session.delete(row)
        await session.flush()
        ids = subject.customer_ids
        await delete_conversations(session, subject.conversation_ids, prefixes)  # first: it keeps the counts
        await session.execute(delete(Ticket).where(Ticket.id.in_(subject.ticket_ids)))
        await session.execute(
            delete(IdentityMerge).where(
                or_(IdentityMerge.source_customer_id.in_(ids), IdentityMerge.target_customer_id.in_(ids))
            )
        )
        await session.execute(delete(ChannelIdentity).where(ChannelIdentity.customer_id.in_(ids)))
        # Shop events hold order numbers, amounts and page contexts: gone with the customer (explicitly,
        # not left to a foreign key's cascade).
        await session.execute(delete(ProactiveOffer).where(ProactiveOffer.customer_id.in_(ids)))
        await session.execute(delete(ShopEvent).where(ShopEvent.customer_id.in_(ids)))
        # Other customers merged into these and then unmerged point here no more.
        await session.execute(
            update(Customer).where(Customer.merged_into_id.in_(ids)).values(merged_into_id=None)
        )
        await session.execute(delete(Customer).where(Customer.id.in_(ids)))
        audit.add(session, actor, "customer.erase", "customer", customer_id, _audit_details(report))
    if sqlite:
        await checkpoint(sessions)
    report["slack"] = await _erase_posts(channels, threads)
    if threads:  # what Slack allowed, for whoever checks the erasure later
        await audit.log(sessions, actor, "customer.erase_slack", "customer", customer_id, report["slack"])
    log.info(
        "erased customer %s: %d conversations, %d messages, %d tickets",
        customer_id,
        report["conversations"],
        report["messages"],
        report["tickets"],
    )
    return report


def _audit_details(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in ("dry_run", "customer_id")}


async def _erase_posts(channels: ChannelRegistry | None, threads: list[dict[str, str]]) -> dict[str, int]:
    """Delete the app's own Slack posts in these threads; Slack keeps what people wrote there."""
    if not threads:
        return {"threads": 0, "deleted": 0, "left": 0, "failed": 0}
    channel = channels.get("slack") if channels is not None else None
    if not isinstance(channel, PostEraser):
        log.warning(
            "%d Slack thread(s) of an erased customer were not cleaned: Slack is not on here", len(threads)
        )
        return {"threads": len(threads), "deleted": 0, "left": 0, "failed": len(threads)}
    try:
        return await channel.erase_posts(threads)
    except Exception as exc:  # the database is erased already; Slack being away must not undo that
        log.warning("Slack posts of an erased customer could not be deleted: %s", exc.__class__.__name__)
        return {"threads": len(threads), "deleted": 0, "left": 0, "failed": len(threads)}
