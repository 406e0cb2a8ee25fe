"""Merging one customer into another on verified evidence, and undoing it.

A merge or an undo moves messages between conversations, so it takes what a message write takes: the
conversations' row locks (in id order, after the customers' in id order), and new seqs as one increment of
the locked row. Concurrent messages wait a moment and land after the moved ones, each seq used once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config import ConflictError, NotFoundError
from infra.db import utcnow
from router.models import ChannelIdentity, Conversation, Customer, IdentityMerge, Message, Ticket
from router.tickets import sync_owner


async def _lock_customers(session: AsyncSession, *customer_ids: int) -> dict[int, Customer]:
    """Row-lock customers in id order (the order every merge and undo takes them: no deadlock)."""
    rows = await session.scalars(
        select(Customer)
        .where(Customer.id.in_(customer_ids))
        .order_by(Customer.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {c.id: c for c in rows}


async def _lock_conversations(session: AsyncSession, where: Any) -> list[Conversation]:
    """Row-lock conversations in id order, as a message write (`take_seq`) locks one: while a merge or
    undo moves messages, no process stores one in these conversations, and it sees every one stored."""
    rows = await session.scalars(
        select(Conversation)
        .where(where)
        .order_by(Conversation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def _take_seqs(session: AsyncSession, conversation_id: int, n: int) -> int:
    """Reserve `n` consecutive seqs of a (locked) conversation; the first. An increment on the row, like
    `take_seq`, never an absolute value computed from an earlier read."""
    first = await session.scalar(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(next_seq=Conversation.next_seq + n)
        .returning(Conversation.next_seq - n)
    )
    if first is None:  # the caller holds the row's lock: only a bug gets here
        raise NotFoundError(f"conversation {conversation_id} not found", code="conversation_not_found")
    return int(first)


async def merge(
    session: AsyncSession, source: Customer, target: Customer, evidence: str
) -> IdentityMerge | None:
    """Move everything of `source` into `target`, recording what moved so it can be undone. None when
    another process merged `source` first (seen once its lock is ours)."""
    locked = await _lock_customers(session, source.id, target.id)
    if source.id not in locked or target.id not in locked or source.merged_into_id is not None:
        return None
    idents = list(
        await session.scalars(select(ChannelIdentity.id).where(ChannelIdentity.customer_id == source.id))
    )
    involved = await _lock_conversations(session, Conversation.customer_id.in_((source.id, target.id)))
    convs = [c.id for c in involved if c.customer_id == source.id]
    main = next((c for c in involved if c.customer_id == target.id and c.merged_into_id is None), None)
    tickets = list(await session.scalars(select(Ticket.id).where(Ticket.customer_id == source.id)))
    await session.execute(
        update(ChannelIdentity).where(ChannelIdentity.id.in_(idents)).values(customer_id=target.id)
    )
    await session.execute(
        update(Conversation).where(Conversation.id.in_(convs)).values(customer_id=target.id)
    )
    moved_messages = await _fold_messages(session, convs, main) if main is not None else []
    await session.execute(update(Ticket).where(Ticket.id.in_(tickets)).values(customer_id=target.id))
    source.merged_into_id = target.id
    target.vip = target.vip or source.vip
    record = IdentityMerge(
        source_customer_id=source.id,
        target_customer_id=target.id,
        evidence=evidence,
        moved={
            "identities": idents,
            "conversations": convs,
            "tickets": tickets,
            "messages": moved_messages,
        },
    )
    session.add(record)
    await session.flush()
    return record


async def _fold_messages(
    session: AsyncSession, source_convs: list[int], main: Conversation
) -> list[list[int]]:
    """One customer, one conversation: append the merged-in conversations' messages to the target's
    first conversation (`main`, locked) under seqs reserved in one block. Returns [message id, old
    conversation, old seq] for undo (a ticket as [-id, old conversation, 0])."""
    if not source_convs:
        return []
    rows = list(
        await session.scalars(
            select(Message)
            .where(Message.conversation_id.in_(source_convs))
            .order_by(Message.created_at, Message.id)
        )
    )
    moved = []
    first = await _take_seqs(session, main.id, len(rows)) if rows else 0
    for offset, msg in enumerate(rows):
        moved.append([msg.id, msg.conversation_id, msg.seq])
        msg.conversation_id, msg.seq = main.id, first + offset
        if msg.payload:
            msg.payload = {**msg.payload, "seq": msg.seq}
    tickets = await session.scalars(select(Ticket).where(Ticket.conversation_id.in_(source_convs)))
    for ticket in tickets:
        moved.append([-ticket.id, ticket.conversation_id, 0])  # negative id: a ticket, for undo
        ticket.conversation_id = main.id
    # Folded: `main` is the customer's conversation from now on, even where a folded one is older.
    await session.execute(
        update(Conversation).where(Conversation.id.in_(source_convs)).values(merged_into_id=main.id)
    )
    await session.flush()
    for conv in await _lock_conversations(session, Conversation.id.in_([main.id, *source_convs])):
        await sync_owner(session, conv)
    await session.flush()
    return moved


async def undo_merge(session: AsyncSession, merge_id: int) -> IdentityMerge:
    """Give the source customer back what the merge moved: identities, conversations, tickets, and each
    message its old conversation and seq (the seqs it left behind stay unused: nobody reuses a seq).
    NotFoundError for an unknown merge, ConflictError for one undone already (another admin, another
    process: the merge's row is locked first)."""
    record = await session.get(IdentityMerge, merge_id, with_for_update=True, populate_existing=True)
    if record is None:
        raise NotFoundError(f"no merge {merge_id}")
    if record.undone_at is not None:
        raise ConflictError(f"merge {merge_id} was undone at {record.undone_at.isoformat()}")
    moved = record.moved
    src = record.source_customer_id
    await _lock_customers(session, src, record.target_customer_id)
    rows = moved.get("messages", [])
    message_ids = [row_id for row_id, _, _ in rows if row_id > 0]
    ticket_ids = [-row_id for row_id, _, _ in rows if row_id < 0]
    now_in = set(
        await session.scalars(select(Message.conversation_id).where(Message.id.in_(message_ids)).distinct())
    ) | set(await session.scalars(select(Ticket.conversation_id).where(Ticket.id.in_(ticket_ids))))
    involved = {*moved.get("conversations", []), *now_in}
    conversations = await _lock_conversations(session, Conversation.id.in_(involved))
    for row_id, conv_id, seq in rows:
        if row_id < 0:
            moved_ticket = await session.get(Ticket, -row_id)
            if moved_ticket is not None:
                moved_ticket.conversation_id = conv_id
            continue
        msg = await session.get(Message, row_id)
        if msg is not None:
            msg.conversation_id, msg.seq = conv_id, seq
            if msg.payload:
                msg.payload = {**msg.payload, "seq": seq}
    await session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.id.in_(moved.get("identities", [])))
        .values(customer_id=src)
    )
    await session.execute(
        update(Conversation)
        .where(Conversation.id.in_(moved.get("conversations", [])))
        .values(customer_id=src, merged_into_id=None)
    )
    await session.execute(
        update(Ticket).where(Ticket.id.in_(moved.get("tickets", []))).values(customer_id=src)
    )
    await session.flush()
    for conv in conversations:
        await sync_owner(session, conv)
    source = await session.get(Customer, src)
    if source is not None:
        source.merged_into_id = None
    record.undone_at = utcnow()
    await session.flush()
    return record
