"""Router tables: customers and identities, conversations and messages, tickets, users, feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from infra.db import Base, utcnow

TICKET_STATUSES = ("open", "assigned", "waiting_customer", "resolved", "closed")
ROLES = ("agent", "admin")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(320), index=True)  # verified email only
    vip: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="customer")


class ChannelIdentity(Base):
    """Who the customer is on one channel: web visitor id, verified web user, Slack user, email."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("kind", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # web_visitor | web_user | slack_user | email
    external_id: Mapped[str] = mapped_column(String(320))
    verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="identities")


class IdentityMerge(Base):
    """One merge of customer `source` into `target`, with what moved, so an admin can undo it."""

    __tablename__ = "identity_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    target_customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    evidence: Mapped[str] = mapped_column(String(200))
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # identity and conversation ids
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]


class Conversation(Base):
    """One customer's one conversation, across every channel."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    owner: Mapped[str] = mapped_column(String(16), default="bot")  # bot | agent
    # +1 each time the owner changes (`router.tickets.sync_owner`, migration 0011): the bot forgets a
    # state it wrote before the conversation last changed hands (bot/bot_state.py).
    owner_changes: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_channel: Mapped[str | None] = mapped_column(String(32))
    last_address: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # channel's reply address
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # latest page context
    # The bot's memory (language, last answer, clarify options): read and written by the bot only.
    bot_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_seq: Mapped[int] = mapped_column(default=1)
    # Set when a merge folded this conversation's messages into another (that one's id): the customer's
    # conversation is then the other one. No foreign key: adding one would copy the table on SQLite.
    merged_into_id: Mapped[int | None]
    # Replies by email to a customer who has left the web chat (migration 0010): the
    # address they left, when their last socket closed, and the last seq already emailed.
    reply_email: Mapped[str | None] = mapped_column(String(320))
    away_since: Mapped[datetime | None] = mapped_column(index=True)  # ix_conversations_away_since
    emailed_seq: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        Index("ix_messages_conv_client", "conversation_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int]
    channel: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    author_kind: Mapped[str] = mapped_column(String(16))  # customer | bot | agent | system
    author_id: Mapped[int | None]  # users.id for agents
    kind: Mapped[str] = mapped_column(String(32))  # message | answer | clarify | handoff | agent_message ...
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the frame as sent
    masked: Mapped[bool] = mapped_column(default=False)
    internal: Mapped[bool] = mapped_column(default=False)  # agents' notes, never shown to customers
    client_id: Mapped[str | None] = mapped_column(String(100))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


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


class Feedback(Base):
    """'Did this help?' on a bot answer, per article."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    article_slug: Mapped[str | None] = mapped_column(String(200), index=True)
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class ShopEvent(Base):
    """Something that happened in the shop (`payment_failed`, a custom event…), from the widget or the
    shop's server; on the customer's timeline, with or without a conversation. `data` is masked."""

    __tablename__ = "shop_events"
    __table_args__ = (Index("ix_shop_events_customer", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None]  # the customer's conversation then, if there was one
    name: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(16))  # web | server
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the page context then
    signature: Mapped[str | None] = mapped_column(String(64), unique=True)  # a signed event once only
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ProactiveRule(Base):
    """A proactive rule made on the admin page (one with the key of a settings-file rule overrides it)."""

    __tablename__ = "proactive_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)  # event, reasons, article, title, message, enabled
    updated_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProactiveOffer(Base):
    """A rule that fired for a customer: shown (a `proactive` frame at `seq`) or held out (nothing sent)."""

    __tablename__ = "proactive_offers"
    __table_args__ = (Index("ix_proactive_offers_customer_rule", "customer_id", "rule_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    conversation_id: Mapped[int | None]
    event_id: Mapped[int | None] = mapped_column(ForeignKey("shop_events.id", ondelete="SET NULL"))
    held_out: Mapped[bool] = mapped_column(default=False)
    seq: Mapped[int | None]
    opened_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
class AuditEntry(Base):
    """One admin action that read personal data in bulk or changed it (router/privacy/audit.py)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_id", "action", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None]  # users.id; no foreign key: the entry outlives the user
    actor: Mapped[str] = mapped_column(String(200))  # the user's name, or "cli:<os user>"
    action: Mapped[str] = mapped_column(String(64))  # customer.export, customer.erase, user.create, ...
    target_kind: Mapped[str] = mapped_column(String(32))  # customer | user | article | merge | retention
    target_id: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # counts and ids, never text
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ErasedStat(Base):
    """An anonymous fact left by an erased conversation, so the statistics still add up: one row per
    (day, metric) with `ref`, a random number per erased conversation (links facts of one conversation
    to each other, never to a person), and `value` (seconds to the first response, the CSAT score)."""

    __tablename__ = "erased_stats"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(String(10), index=True)  # YYYY-MM-DD, UTC
    metric: Mapped[str] = mapped_column(String(32))
    ref: Mapped[int]
    value: Mapped[float | None]
