"""Handoffs to people: tickets, the agents and admins who take them, their canned replies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, utcnow

TICKET_STATUSES = ("open", "assigned", "waiting_customer", "resolved", "closed")
ROLES = ("agent", "admin")


class User(Base):
    """An agent or admin. Only a hash of the API token is stored."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    team: Mapped[str | None] = mapped_column(String(100))
    capacity: Mapped[int | None]
    presence: Mapped[str] = mapped_column(String(16), default="away")  # online | away
    slack_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    last_assigned_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Ticket(Base):
    """A handoff. The indexes serve the hot queries of `router.assignment` and `router.tickets`, so a
    handoff costs the same with a long queue as with an empty one (migration 0003)."""

    __tablename__ = "tickets"
    __table_args__ = (
        # a team's queue in dispatch order: its head (dispatch) and the count ahead (queue_position)
        Index("ix_tickets_queue", "status", "team", text("priority DESC"), "id"),
        # the whole queue in dispatch order, for agents of no team
        Index("ix_tickets_queue_any", "status", text("priority DESC"), "id"),
        # agents' loads (dispatch, capacity)
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        # a conversation's active ticket (every handoff, every message while an agent has it)
        Index("ix_tickets_conversation_status", "conversation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(24), default="open")
    priority: Mapped[int] = mapped_column(default=0)  # higher first
    team: Mapped[str] = mapped_column(String(100))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(32))
    question: Mapped[str | None] = mapped_column(Text)  # the last question the bot could not answer
    bot_attempts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    external_refs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # e.g. Slack thread
    resolved_article_slug: Mapped[str | None] = mapped_column(String(200))
    csat: Mapped[int | None]
    # The agent who last transferred it away: dispatch does not hand it straight back (migration 0008).
    transferred_from_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


class CannedReply(Base):
    """A saved reply snippet agents search with `/` in the console (`router.canned`)."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
