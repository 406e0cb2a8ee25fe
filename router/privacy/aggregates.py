"""Anonymous counts left by erased conversations, so `/api/stats` adds up after an erasure.

Before a conversation is erased, the facts the statistics count (router/analytics.py) are written to
`erased_stats`: a day, a metric, a random `ref` per conversation (so one conversation still counts once in
a total over several days) and a number where the metric needs one. No text, no customer, no real id.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import ErasedStat, Message, Ticket


class Bucket(Protocol):
    """What router.analytics counts into (its `_Bucket`)."""

    conversations: set[int]
    handed_off_convs: set[int]
    handoffs: set[tuple[int, Any]]
    answered: int
    clarified: int
    tickets_opened: int
    first_response: list[float]
    tickets_resolved: int
    csat: list[int]


def _day(ts: datetime) -> str:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).date().isoformat()


async def record_erased(session: AsyncSession, conversation_ids: Sequence[int]) -> int:
    """Write the statistics' facts of these conversations (before they are deleted); returns rows written."""
    if not conversation_ids:
        return 0
    refs = {c: secrets.randbelow(2**31 - 2) + 1 for c in conversation_ids}
    rows: list[dict[str, Any]] = []
    active: set[tuple[int, str]] = set()
    counted: dict[tuple[int, str, str], int] = {}
    handoffs: dict[tuple[int, Any], tuple[str, int]] = {}
    messages = await session.execute(
        select(
            Message.id,
            Message.conversation_id,
            Message.direction,
            Message.author_kind,
            Message.kind,
            Message.payload,
            Message.created_at,
        ).where(Message.conversation_id.in_(conversation_ids))
    )
    for msg_id, conv, direction, author, kind, payload, ts in messages:
        day = _day(ts)
        if direction == "in" and author == "customer":
            active.add((conv, day))
        elif direction == "out" and author == "bot" and kind in ("answer", "clarify"):
            key = (conv, day, "answered" if kind == "answer" else "clarified")
            counted[key] = counted.get(key, 0) + 1
        if direction == "out" and kind == "handoff":
            ticket = (payload or {}).get("ticket")
            key2 = (conv, ticket if ticket is not None else f"message-{msg_id}")
            handoffs.setdefault(key2, (day, len(handoffs) + 1))
    rows += [{"day": d, "metric": "conversation", "ref": refs[c], "value": None} for c, d in active]
    rows += [{"day": d, "metric": m, "ref": refs[c], "value": float(n)} for (c, d, m), n in counted.items()]
    rows += [
        {"day": d, "metric": "handoff", "ref": refs[k[0]], "value": float(n)}
        for k, (d, n) in handoffs.items()
    ]
    tickets = await session.execute(
        select(
            Ticket.conversation_id,
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.resolved_at,
            Ticket.csat,
        ).where(Ticket.conversation_id.in_(conversation_ids))
    )
    for conv, created, first, resolved, csat in tickets:
        wait = max(0.0, (first - created).total_seconds()) if first is not None else None
        rows.append({"day": _day(created), "metric": "ticket_opened", "ref": refs[conv], "value": wait})
        if resolved is not None:
            score = float(csat) if csat is not None else None
            rows.append(
                {"day": _day(resolved), "metric": "ticket_resolved", "ref": refs[conv], "value": score}
            )
    if rows:
        await session.execute(insert(ErasedStat), rows)
    return len(rows)


async def add_erased(
    session: AsyncSession, first_day: str, last_day: str, buckets: Callable[[datetime], Iterable[Bucket]]
) -> None:
    """Count erased conversations' facts of `first_day`..`last_day` (ISO dates) into analytics' buckets.
    Their conversation keys are negative, so they never meet a live conversation's id."""
    rows = await session.execute(
        select(ErasedStat.day, ErasedStat.metric, ErasedStat.ref, ErasedStat.value).where(
            ErasedStat.day >= first_day, ErasedStat.day <= last_day
        )
    )
    for day, metric, ref, value in rows:
        ts = datetime.fromisoformat(day).replace(tzinfo=UTC)
        key = -int(ref)
        for b in buckets(ts):
            if metric == "conversation":
                b.conversations.add(key)
            elif metric == "answered":
                b.answered += int(value or 0)
            elif metric == "clarified":
                b.clarified += int(value or 0)
            elif metric == "handoff":
                b.handoffs.add((key, f"erased-{value}"))
                b.handed_off_convs.add(key)
            elif metric == "ticket_opened":
                b.tickets_opened += 1
                b.handed_off_convs.add(key)
                if value is not None:
                    b.first_response.append(float(value))
            elif metric == "ticket_resolved":
                b.tickets_resolved += 1
                if value is not None:
                    b.csat.append(int(value))
