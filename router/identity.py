"""Who is this customer? Channel evidence is looked up and attached; identities are merged only on
verified evidence (router/identity_merge.py, which can undo a merge).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from infra.db import utcnow
from router.identity_merge import merge
from router.models import ChannelIdentity, Customer

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
