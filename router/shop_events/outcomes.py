"""What the proactive rules achieve: per rule, offers shown, opened and dismissed, and how many of those
customers sent `payment_succeeded` within `proactive.outcome_minutes` — against the hold-out customers
whose event matched the same rule but who got no offer. Offers are counted by when they were made.

`recovered_rate - holdout_recovered_rate` is the effect (`lift`); with few hold-outs it is noisy, so the
counts behind both rates are in the answer too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Customer, ProactiveOffer, ShopEvent
from router.shop_events.catalog import PAYMENT_SUCCEEDED

__all__ = ["rule_outcomes"]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def rule_outcomes(
    session: AsyncSession, lo: datetime, hi: datetime, outcome_minutes: float
) -> list[dict[str, Any]]:
    """One row per rule that made offers in [lo, hi)."""
    offers = list(
        await session.scalars(
            select(ProactiveOffer).where(ProactiveOffer.created_at >= lo, ProactiveOffer.created_at < hi)
        )
    )
    if not offers:
        return []
    window = timedelta(minutes=outcome_minutes)
    # A customer merged into another paid as that one: follow merges to the customer who holds the events.
    customers = {o.customer_id for o in offers}
    merged = dict(
        (
            await session.execute(
                select(Customer.id, Customer.merged_into_id).where(Customer.id.in_(customers))
            )
        ).all()
    )
    family = customers | {m for m in merged.values() if m is not None}
    family |= set(await session.scalars(select(Customer.id).where(Customer.merged_into_id.in_(family))))
    paid: defaultdict[int, list[datetime]] = defaultdict(list)
    rows = await session.execute(
        select(ShopEvent.customer_id, ShopEvent.created_at).where(
            ShopEvent.name == PAYMENT_SUCCEEDED,
            ShopEvent.customer_id.in_(family),
            ShopEvent.created_at >= lo,
            ShopEvent.created_at < hi + window,
        )
    )
    root = {c: (merged.get(c) or c) for c in family}
    for cid, at in rows:
        paid[root.get(cid, cid)].append(at)

    def recovered(offer: ProactiveOffer) -> bool:
        key = root.get(offer.customer_id, offer.customer_id)
        return any(offer.created_at <= at <= offer.created_at + window for at in paid.get(key, ()))

    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in offers:
        n = per[o.rule_key]
        if o.held_out:
            n["holdout"] += 1
            n["holdout_recovered"] += recovered(o)
            continue
        n["shown"] += 1
        n["opened"] += o.opened_at is not None
        n["dismissed"] += o.dismissed_at is not None
        n["recovered"] += recovered(o)
        n["opened_recovered"] += o.opened_at is not None and recovered(o)
    out = []
    for key in sorted(per):
        n = per[key]
        rate, base = _rate(n["recovered"], n["shown"]), _rate(n["holdout_recovered"], n["holdout"])
        out.append(
            {
                "rule": key,
                "shown": n["shown"],
                "opened": n["opened"],
                "dismissed": n["dismissed"],
                "open_rate": _rate(n["opened"], n["shown"]),
                "recovered": n["recovered"],
                "recovered_rate": rate,
                "opened_recovered": n["opened_recovered"],
                "holdout": n["holdout"],
                "holdout_recovered": n["holdout_recovered"],
                "holdout_recovered_rate": base,
                "lift": round(rate - base, 4) if rate is not None and base is not None else None,
            }
        )
    return out
