"""The audit log: who read personal data in bulk or changed it, what, on what, and when.

Entries hold ids and counts, never the personal data itself (an erased customer's audit entry must not
keep what was erased). Actions: customer.export, customer.erase, customer.erase_slack (the Slack posts
deleted), customer.vip, merge.undo, user.create, user.update, article.create, article.update,
article.delete, article.restore, article.question_add, article.question_delete, article.import,
gaps.handled, retention.run.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.models import AuditEntry, User

MAX_PAGE = 200


@dataclass(frozen=True)
class Actor:
    """Who did it: a user (API token) or the command line."""

    name: str
    id: int | None = None


def by(user: User) -> Actor:
    return Actor(user.name, user.id)


def cli_actor() -> Actor:
    try:
        who = getpass.getuser()
    except (OSError, KeyError):  # no user name in this environment (a container without passwd entry)
        who = "unknown"
    return Actor(f"cli:{who}")


SYSTEM = Actor("system:retention")


def add(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target_kind: str,
    target_id: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the session's transaction (written with the change it records, or not at all)."""
    entry = AuditEntry(
        actor_id=actor.id,
        actor=actor.name[:200],
        action=action,
        target_kind=target_kind,
        target_id=None if target_id is None else str(target_id)[:200],
        details=details or {},
    )
    session.add(entry)
    return entry


async def log(
    sessions: async_sessionmaker[AsyncSession],
    actor: Actor,
    action: str,
    target_kind: str,
    target_id: Any = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write an entry in a transaction of its own (after the action it records)."""
    async with sessions() as session, session.begin():
        add(session, actor, action, target_kind, target_id, details)


def entry_json(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.created_at.isoformat(),
        "actor": e.actor,
        "actor_id": e.actor_id,
        "action": e.action,
        "target_kind": e.target_kind,
        "target_id": e.target_id,
        "details": e.details,
    }


async def entries(
    session: AsyncSession,
    *,
    action: str | None = None,
    actor: str | None = None,
    target_kind: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 50,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of entries, newest first, and the `before` of the next page (None: this is the last).
    `action` ending in "." matches a family ("customer." = every customer action)."""
    q = select(AuditEntry)
    if action:
        q = q.where(
            AuditEntry.action.startswith(action) if action.endswith(".") else AuditEntry.action == action
        )
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if target_kind:
        q = q.where(AuditEntry.target_kind == target_kind)
    if target_id:
        q = q.where(AuditEntry.target_id == target_id)
    if since is not None:
        q = q.where(AuditEntry.created_at >= since)
    if until is not None:
        q = q.where(AuditEntry.created_at < until)
    if before is not None:
        q = q.where(AuditEntry.id < before)
    rows = list(await session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return [entry_json(e) for e in rows], (rows[-1].id if more and rows else None)
