"""Who is this customer? Identities are merged only on verified evidence; merges can be undone."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from config import NotFoundError
from knowledge.db import utcnow
from router.models import ChannelIdentity, Conversation, Customer, IdentityMerge, Message, Ticket


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


async def merge(session: AsyncSession, source: Customer, target: Customer, evidence: str) -> IdentityMerge:
    """Move everything of `source` into `target`, recording what moved so it can be undone."""
    idents = list(
        await session.scalars(select(ChannelIdentity.id).where(ChannelIdentity.customer_id == source.id))
    )
    convs = list(await session.scalars(select(Conversation.id).where(Conversation.customer_id == source.id)))
    tickets = list(await session.scalars(select(Ticket.id).where(Ticket.customer_id == source.id)))
    await session.execute(
        update(ChannelIdentity).where(ChannelIdentity.id.in_(idents)).values(customer_id=target.id)
    )
    await session.execute(
        update(Conversation).where(Conversation.id.in_(convs)).values(customer_id=target.id)
    )
    moved_messages = await _fold_messages(session, convs, target.id)
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


async def _fold_messages(session: AsyncSession, source_convs: list[int], target_id: int) -> list[list[int]]:
    """One customer, one conversation: append the merged-in conversations' messages to the target's
    first conversation (new seqs). Returns [message id, old conversation, old seq] for undo."""
    if not source_convs:
        return []
    main = await session.scalar(
        select(Conversation)
        .where(Conversation.customer_id == target_id, Conversation.id.not_in(source_convs))
        .order_by(Conversation.id)
        .limit(1)
    )
    if main is None:
        return []
    rows = await session.scalars(
        select(Message)
        .where(Message.conversation_id.in_(source_convs))
        .order_by(Message.created_at, Message.id)
    )
    moved = []
    for msg in list(rows):
        moved.append([msg.id, msg.conversation_id, msg.seq])
        msg.conversation_id, msg.seq = main.id, main.next_seq
        if msg.payload:
            msg.payload = {**msg.payload, "seq": main.next_seq}
        main.next_seq += 1
    owners = set(await session.scalars(select(Conversation.owner).where(Conversation.id.in_(source_convs))))
    if "agent" in owners:
        main.owner = "agent"
    tickets = await session.scalars(select(Ticket).where(Ticket.conversation_id.in_(source_convs)))
    for ticket in tickets:
        moved.append([-ticket.id, ticket.conversation_id, 0])  # negative id: a ticket, for undo
        ticket.conversation_id = main.id
    await session.flush()
    return moved


async def undo_merge(session: AsyncSession, merge_id: int) -> IdentityMerge:
    record = await session.get(IdentityMerge, merge_id)
    if record is None or record.undone_at is not None:
        raise NotFoundError(f"no merge {merge_id} to undo")
    moved = record.moved
    src = record.source_customer_id
    for row_id, conv_id, seq in moved.get("messages", []):
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
        .values(customer_id=src)
    )
    await session.execute(
        update(Ticket).where(Ticket.id.in_(moved.get("tickets", []))).values(customer_id=src)
    )
    source = await session.get(Customer, src)
    if source is not None:
        source.merged_into_id = None
    record.undone_at = utcnow()
    await session.flush()
    return record


async def resolve_customer(
    session: AsyncSession, evidence: list[Evidence], *, email: str | None = None, name: str | None = None
) -> Customer:
    """The customer these identities belong to, creating or merging as the evidence allows.

    Rules: verified ids decide; two different verified ids are never merged; an anonymous customer
    (no verified identity) joins the verified one when they verify in the same browser; an unverified
    identity never pulls anyone into a verified customer.
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
                # This browser belonged to a verified customer; an unverified visit does not get in.
                fresh = Customer()
                session.add(fresh)
                await session.flush()
                await _attach(session, fresh, ev)
                return fresh
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
