"""Queued work that mentions a customer: Slack events and calls (`inbox_items`), bus events (`outbox_events`).

Their payloads are JSON with no customer column, so rows are read in batches and matched in Python: by a
conversation or ticket id field, a lane, or any of the customer's names, emails, identities, Slack thread
timestamps and texts. Erasure is rare and these tables are short (done work is kept a day, events an hour).
"""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import InboxItem, OutboxEvent
from router.privacy.subject import Subject

BATCH = 500
_IDS = re.compile(r'"(conversation_id|ticket_id|ticket|customer_id)":\s*(\d+)')


class Matcher:
    def __init__(self, subject: Subject, extra: set[str] | None = None) -> None:
        self.conversations = {str(i) for i in subject.conversation_ids}
        self.tickets = {str(i) for i in subject.ticket_ids}
        self.customers = {str(i) for i in subject.customer_ids}
        needles = subject.needles() | set(extra or ()) | subject.texts
        # A text inside a JSON string is escaped ("\n", "\""): look for it as it is dumped too.
        self.needles = {n for n in needles if n} | {
            json.dumps(n, ensure_ascii=False)[1:-1] for n in needles if n
        }
        self.lanes = {f"conversation:{i}" for i in subject.conversation_ids} | {
            f"user:{i.external_id}" for i in subject.identities
        }

    def matches(self, lane: str | None, payload: Any) -> bool:
        if lane and lane in self.lanes:
            return True
        dumped = json.dumps(payload, ensure_ascii=False)
        for key, value in _IDS.findall(dumped):
            wanted = {
                "conversation_id": self.conversations,
                "ticket_id": self.tickets,
                "ticket": self.tickets,
                "customer_id": self.customers,
            }[key]
            if value in wanted:
                return True
        return any(n in dumped for n in self.needles)


async def related_rows(
    session: AsyncSession,
    model: type[InboxItem] | type[OutboxEvent],
    subject: Subject,
    extra: set[str] | None = None,
) -> list[Any]:
    """The rows of `model` that mention this customer, oldest first."""
    matcher = Matcher(subject, extra)
    found: list[Any] = []
    last: Any = 0
    while True:
        rows: list[Any] = list(
            await session.scalars(select(model).where(model.id > last).order_by(model.id).limit(BATCH))
        )
        if not rows:
            return found
        last = rows[-1].id
        row: Any
        for row in rows:
            if isinstance(row, InboxItem):
                hit = matcher.matches(row.lane, row.payload)
            else:
                hit = matcher.matches(None, row.data)
            if hit:
                found.append(row)
