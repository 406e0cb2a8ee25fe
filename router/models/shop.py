"""Shop events on a customer's timeline, proactive rules made on the admin page, and offers made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, utcnow


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
