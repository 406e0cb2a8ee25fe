"""Conversations, their messages, and "did this help?" feedback on bot answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, utcnow


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


class Feedback(Base):
    """'Did this help?' on a bot answer, per article."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    article_slug: Mapped[str | None] = mapped_column(String(200), index=True)
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
