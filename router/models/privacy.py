"""The audit log of admin actions on personal data, and anonymous facts left by erased conversations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from infra.db import Base, utcnow


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
