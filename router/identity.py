"""Who is this customer? Identities are merged only on verified evidence; merges can be undone.

A merge or an undo moves messages between conversations, so it takes what a message write takes: the
conversations' row locks (in id order, after the customers' in id order), and new seqs as one increment of
the locked row. Concurrent messages wait a moment and land after the moved ones, each seq used once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config import ConflictError, NotFoundError
from infra.db import utcnow
from router.models import ChannelIdentity, Conversation, Customer, IdentityMerge, Message, Ticket
from router.tickets import sync_owner

# The identity an unverified visit gets when its visitor id belongs to a verified customer: keyed by the same
# visitor id, but a kind of its own that no channel ever brings as evidence. So the visitor id stays the
# verified customer's, the guest finds its own conversation again, and whatever the guest writes is never
# merged into the verified customer, who brings "web_visitor", not this (anyone may know a visitor id).
GUEST_KIND = "web_guest"


@dataclass(frozen=True)
class Evidence:
    """What a channel knows about the person: `verified` only when the shop or Slack vouches for it."""

    kind: str  # web_visitor | web_user | slack_user | email
    external_id: str
    verified: bool


async def _identity(session: AsyncSession, kind: str, external_id: str) -> ChannelIdentity | None:
    return await session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.kind == kind, ChannelIdentity.external_id == external_id
        )
    )


async def _has_verified(session: AsyncSession, customer_id: int) -> bool:
    found = await session.scalar(
        select(ChannelIdentity.id).where(
            ChannelIdentity.customer_id == customer_id, ChannelIdentity.verified.is_(True)
        )
    )
    return found is not None


async def _attach(session: AsyncSession, customer: Customer, ev: Evidence) -> ChannelIdentity:
    ident = await _identity(session, ev.kind, ev.external_id)
    if ident is None:
        ident = ChannelIdentity(
            customer_id=customer.id, kind=ev.kind, external_id=ev.external_id, verified=ev.verified
        )
        session.add(ident)
    else:
        ident.customer_id = customer.id
        ident.verified = ident.verified or ev.verified
        ident.last_seen_at = utcnow()
    await session.flush()
    return ident


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
    assert first is not None
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


async def _guest(session: AsyncSession, ev: Evidence) -> Customer:
    """The customer of an unverified visit with a verified customer's visitor id (`GUEST_KIND`)."""
    ident = await _identity(session, GUEST_KIND, ev.external_id)
    if ident is not None:
        owner = await session.get(Customer, ident.customer_id)
        if owner is not None and owner.merged_into_id is None and not await _has_verified(session, owner.id):
            ident.last_seen_at = utcnow()
            return owner
    fresh = Customer()
    session.add(fresh)
    await session.flush()
    if ident is None:
        session.add(ChannelIdentity(customer_id=fresh.id, kind=GUEST_KIND, external_id=ev.external_id))
    else:
        ident.customer_id = fresh.id
    await session.flush()
    return fresh


async def resolve_customer(
    session: AsyncSession, evidence: list[Evidence], *, email: str | None = None, name: str | None = None
) -> Customer:
    """The customer these identities belong to, creating or merging as the evidence allows.

    Rules: verified ids decide; two different verified ids are never merged; an anonymous customer
    (no verified identity) joins the verified one when they verify in the same browser; an unverified
    identity never pulls anyone into a verified customer, and an unverified visit with a verified
    customer's visitor id is a guest (`GUEST_KIND`) that no later sign-in merges.
    """
    verified = [e for e in evidence if e.verified]
    anonymous = [e for e in evidence if not e.verified]
    target: Customer | None = None
    for ev in verified:  # strongest first: the channel's own verified id, then email
        ident = await _identity(session, ev.kind, ev.external_id)
        if ident is not None:
            target = await session.get(Customer, ident.customer_id)
            break
    if target is None and email and verified:
        ident = await _identity(session, "email", email.lower())
        if ident is not None and ident.verified:
            target = await session.get(Customer, ident.customer_id)
    for ev in anonymous:
        ident = await _identity(session, ev.kind, ev.external_id)
        if ident is None:
            continue
        owner = await session.get(Customer, ident.customer_id)
        if owner is None:
            continue
        owner_verified = await _has_verified(session, owner.id)
        if not verified:
            if owner_verified:
                # This browser belonged to a verified customer; an unverified visit does not get in, nor
                # take the visitor id (which would carry its messages into the customer's next sign-in).
                return await _guest(session, ev)
            return owner
        if target is None and not owner_verified:
            target = owner  # the anonymous customer verifies now
        elif target is not None and owner.id != target.id and not owner_verified:
            await merge(session, owner, target, evidence=f"verified {verified[0].kind} in the same browser")
    if target is None:
        target = Customer(name=name)
        session.add(target)
        await session.flush()
    if email and any(e.verified for e in evidence):
        target.email = email.lower()
        verified = [*verified, Evidence("email", email.lower(), True)]
    if name and not target.name:
        target.name = name
    for ev in verified:
        ident = await _identity(session, ev.kind, ev.external_id)
        if ident is not None and ident.customer_id != target.id:
            continue  # belongs to another verified customer: never merge two verified ids
        await _attach(session, target, ev)
    for ev in anonymous:
        ident = await _identity(session, ev.kind, ev.external_id)
        if (
            ident is None
            or ident.customer_id == target.id
            or not await _has_verified(session, ident.customer_id)
        ):
            await _attach(session, target, ev)
    return target
