"""Which conversation a returning customer has, read-only: what `router.identity.resolve_customer` would pick,
without writing anything.

A chat socket opening is not a reason to write: a burst of sockets (a page with the widget going viral, or
every widget reconnecting after a deploy) wrote a customer and a conversation each, one at a time, and
chat answers queued behind them. So a socket only looks up (one indexed query for a visitor never seen,
two or three otherwise); the rows are written by the first action that needs them (`Router.identify`).
`Known.complete` tells whether that action would change anything (attach a verified id, fold an anonymous
customer in): if not, a returning customer resumes without a single write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.identity import GUEST_KIND, Evidence
from router.models import ChannelIdentity, Conversation, Customer


@dataclass(frozen=True)
class Known:
    customer_id: int
    conversation_id: int | None  # None: the customer has no conversation yet
    head: int  # the conversation's latest seq (0 without one)
    complete: bool  # `Router.identify` would write nothing for this evidence


@dataclass(frozen=True)
class Who:
    """What a channel knows of a person (a chat socket's identity, say)."""

    evidence: tuple[Evidence, ...]
    email: str | None = None  # verified only
    vip: bool = False

    def wanted(self) -> list[tuple[str, str]]:
        """The identities to look for: (kind, external id)."""
        pairs = [(e.kind, e.external_id) for e in self.evidence]
        if self.email and any(e.verified for e in self.evidence):
            pairs.append(("email", self.email.lower()))
        return pairs


async def find_customers(session: AsyncSession, people: Sequence[Who]) -> list[Known | None]:
    """`find_customer` for many at once: one query for all their identities (a burst of new visitors costs
    one query per batch, not one per socket), then the few follow-up queries for those found."""
    by_kind: dict[str, set[str]] = {}
    for who in people:
        for kind, external_id in who.wanted():
            by_kind.setdefault(kind, set()).add(external_id)
    ci = ChannelIdentity
    # Per kind `external_id IN (...)`: each a search of the unique (kind, external_id) index (SQLite scans
    # the whole index for a row-value `(kind, external_id) IN (...)`).
    where = [and_(ci.kind == kind, ci.external_id.in_(sorted(ids))) for kind, ids in sorted(by_kind.items())]
    rows = (
        (
            await session.execute(
                select(ci.kind, ci.external_id, ci.customer_id, ci.verified).where(or_(*where))
            )
        ).all()
        if where
        else []
    )
    found: dict[tuple[str, str], Any] = {(r.kind, r.external_id): r for r in rows}
    out: list[Known | None] = []
    for who in people:
        hits = [found[pair] for pair in who.wanted() if pair in found]
        out.append(await _resolve(session, who, hits) if hits else None)
    return out


async def find_customer(
    session: AsyncSession, evidence: list[Evidence] | tuple[Evidence, ...], *, email: str | None, vip: bool
) -> Known | None:
    """The customer (and conversation) these identities resolve to, or None when `resolve_customer` would
    create a new customer. Mirrors its rules: verified ids decide; an anonymous customer joins the verified
    one; an unverified visit to a verified customer's browser gets nobody's history."""
    return (await find_customers(session, [Who(tuple(evidence), email, vip)]))[0]


async def _resolve(session: AsyncSession, who: Who, rows: list[Any]) -> Known | None:
    """`find_customer` given the identity rows found for `who` (at least one)."""
    evidence, email, vip = who.evidence, who.email, who.vip
    wanted = who.wanted()
    owner = {(r.kind, r.external_id): r.customer_id for r in rows}
    verified_owners = {r.customer_id for r in rows if r.verified}
    verified = [e for e in evidence if e.verified]
    target: int | None = None
    for ev in verified:
        if (ev.kind, ev.external_id) in owner:
            target = owner[(ev.kind, ev.external_id)]
            break
    if target is None and email and verified:
        found = next((r for r in rows if r.kind == "email" and r.external_id == email.lower()), None)
        if found is not None and found.verified:
            target = found.customer_id
    complete = True
    for ev in evidence:
        if ev.verified or (ev.kind, ev.external_id) not in owner:
            continue
        anon_owner = owner[(ev.kind, ev.external_id)]
        owner_verified = anon_owner in verified_owners or await _has_verified(session, anon_owner)
        if not verified:
            if owner_verified:  # this browser belonged to a verified customer: its guest, if any
                return await _guest(session, ev.external_id)
            target = anon_owner
            break
        if target is None and not owner_verified:
            target = anon_owner  # the anonymous customer verifies now
        elif target is not None and anon_owner != target and not owner_verified:
            complete = False  # the anonymous customer is folded into the verified one
    if target is None:
        return None
    if any(key not in owner or owner[key] != target for key in wanted):
        complete = False  # an identity to attach (or one that belongs elsewhere: identify decides)
    row = (
        await session.execute(
            select(Conversation.id, Conversation.next_seq)
            .where(Conversation.customer_id == target)
            .order_by(Conversation.id)  # the first one, as `conversations.current_conversation`
            .limit(1)
        )
    ).first()
    if vip and not await session.scalar(select(Customer.vip).where(Customer.id == target)):
        complete = False
    if row is None:
        return Known(target, None, 0, False)
    return Known(target, int(row.id), int(row.next_seq) - 1, complete)


async def _guest(session: AsyncSession, visitor: str) -> Known | None:
    """The guest customer (`identity.GUEST_KIND`) of an unverified visit with a verified visitor id;
    None when `resolve_customer` would create one."""
    row = (
        await session.execute(
            select(ChannelIdentity.customer_id).where(
                ChannelIdentity.kind == GUEST_KIND, ChannelIdentity.external_id == visitor
            )
        )
    ).first()
    if row is None or await _has_verified(session, row.customer_id):
        return None
    merged = await session.scalar(select(Customer.merged_into_id).where(Customer.id == row.customer_id))
    if merged is not None:
        return None
    conv = (
        await session.execute(
            select(Conversation.id, Conversation.next_seq)
            .where(Conversation.customer_id == row.customer_id)
            .order_by(Conversation.id)
            .limit(1)
        )
    ).first()
    if conv is None:
        return Known(row.customer_id, None, 0, False)
    return Known(row.customer_id, int(conv.id), int(conv.next_seq) - 1, True)


async def _has_verified(session: AsyncSession, customer_id: int) -> bool:
    found = await session.scalar(
        select(ChannelIdentity.id)
        .where(ChannelIdentity.customer_id == customer_id, ChannelIdentity.verified.is_(True))
        .limit(1)
    )
    return found is not None
