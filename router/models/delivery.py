"""Work stored before it is acknowledged (the inbox) and events published to every process (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, utcnow


class InboxItem(Base):
    """Work to do at least once, stored before it is acknowledged (`router.inbox`): an event or button
    click from Slack, or a Slack call it led to (a reply, a ticket post). Unique by (source, event_id), so
    a retried delivery is stored once; rows of one `lane` are done one at a time, oldest first."""

    __tablename__ = "inbox_items"
    __table_args__ = (
        UniqueConstraint("source", "event_id"),
        Index("ix_inbox_items_due", "status", "next_attempt_at"),
        Index("ix_inbox_items_lane", "lane", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))  # who sent it / whose worker does it: slack
    event_id: Mapped[str] = mapped_column(String(200))  # the sender's id (Slack event_id) or our own key
    kind: Mapped[str] = mapped_column(String(32))  # event | action | command | call | tickets | conversation
    lane: Mapped[str] = mapped_column(String(200))  # ordering key, e.g. the Slack user or conversation
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]  # lease of the process working on it; expired: claimable again
    locked_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxEvent(Base):
    """Events published to every process of a deployment (PostgreSQL LISTEN/NOTIFY carries the id)."""

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
