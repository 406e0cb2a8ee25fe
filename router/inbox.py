"""At-least-once work in the database: rows of `inbox_items`, stored before anything is acknowledged.

A row is work that must happen even if the process dies or a remote API is down for a while: a Slack event,
a button click, a reply to post. The life of a row:

- `store` inserts it, once per (source, event_id): a retried delivery of the same event finds it there;
- `claim` hands due rows to one worker. On PostgreSQL `FOR UPDATE SKIP LOCKED` makes concurrent claimers
  (several processes) take different rows; the claim is a lease (`locked_until`, renewed while the work
  runs), so the rows of a process that died become claimable again when it runs out. Only the oldest
  unfinished row of a `lane` is claimable: one lane's rows are done one at a time, in stored order;
- `finish` marks it done, `retry` schedules another attempt, `give_up` marks it failed. Each checks the
  lease is still the caller's (a worker that overran its lease must not overwrite the next one's result);
- `cleanup` deletes done rows after a day (they only answer retried deliveries) and failed ones after a week
  (they are kept for an operator to read `last_error`), so the table stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from infra.db import utcnow
from router.models import InboxItem

PENDING, DONE, FAILED = "pending", "done", "failed"
KEEP_DONE = timedelta(days=1)  # Slack retries an event within minutes; a day is plenty to recognise it
KEEP_FAILED = timedelta(days=7)
MAX_KEY = 200  # event_id column width


@dataclass(frozen=True)
class Job:
    """A claimed row: what the worker needs to do it and to report back."""

    id: int
    source: str
    event_id: str
    kind: str
    lane: str
    payload: dict[str, Any]
    attempts: int  # including this one
    created_at: datetime
    owner: str  # the claim token that `finish` / `retry` / `give_up` check


class InboxStore:
    """The rows of one `source` (each source has its own worker)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], source: str) -> None:
        self.sessions = sessions
        self.source = source

    async def store(self, event_id: str, kind: str, lane: str, payload: dict[str, Any]) -> bool:
        """Store new work; False when a row with this event id exists already (a retried delivery)."""
        now = utcnow()
        values = {
            "source": self.source,
            "event_id": event_id[:MAX_KEY],
            "kind": kind,
            "lane": lane[:MAX_KEY],
            "payload": payload,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        async with self.sessions() as session, session.begin():
            dialect = (await session.connection()).dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            statement = (
                insert(InboxItem)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["source", "event_id"])
                .returning(InboxItem.id)
            )
            return (await session.scalar(statement)) is not None

    async def claim(self, limit: int, owner: str, lease: timedelta) -> list[Job]:
        """Up to `limit` due rows, leased to `owner` until now + `lease`; the oldest first."""
        return (await self.finish_and_claim([], limit, owner, lease))[1]

    async def finish_and_claim(
        self, finished: list[Job], limit: int, owner: str, lease: timedelta
    ) -> tuple[int, list[Job]]:
        """Mark `finished` done and claim up to `limit` rows, in one transaction (under load, one commit
        for many jobs: SQLite has one connection for everything); (rows marked done, rows claimed)."""
        async with self.sessions() as session, session.begin():
            done = await self._finish(session, finished) if finished else 0
            return done, (await self._claim(session, limit, owner, lease) if limit > 0 else [])

    @staticmethod
    async def _finish(session: AsyncSession, jobs: list[Job]) -> int:
        owners = {job.owner for job in jobs}
        result = await session.execute(
            update(InboxItem)
            .where(
                InboxItem.id.in_([job.id for job in jobs]),
                InboxItem.locked_by.in_(owners),
                InboxItem.status == PENDING,
            )
            .values(status=DONE, locked_until=None, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0))

    async def _claim(self, session: AsyncSession, limit: int, owner: str, lease: timedelta) -> list[Job]:
        now = utcnow()
        earlier = aliased(InboxItem)
        lane_busy = (
            select(earlier.id)
            .where(earlier.lane == InboxItem.lane, earlier.id < InboxItem.id, earlier.status == PENDING)
            .exists()
        )
        due = (
            select(InboxItem.id)
            .where(
                InboxItem.source == self.source,
                InboxItem.status == PENDING,
                InboxItem.next_attempt_at <= now,
                or_(InboxItem.locked_until.is_(None), InboxItem.locked_until <= now),
                ~lane_busy,
            )
            .order_by(InboxItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=InboxItem)  # SQLite has one writer and ignores it
        )
        ids = list(await session.scalars(due))
        if not ids:
            return []
        await session.execute(
            update(InboxItem)
            .where(InboxItem.id.in_(ids))
            .values(
                locked_until=now + lease,
                locked_by=owner,
                attempts=InboxItem.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        rows = await session.scalars(select(InboxItem).where(InboxItem.id.in_(ids)).order_by(InboxItem.id))
        return [
            Job(r.id, r.source, r.event_id, r.kind, r.lane, dict(r.payload), r.attempts, r.created_at, owner)
            for r in rows
        ]

    async def finish(self, job: Job) -> bool:
        return await self._settle(job, status=DONE, locked_until=None)

    async def retry(self, job: Job, error: str, delay: timedelta) -> bool:
        return await self._settle(
            job, last_error=error[:4000], next_attempt_at=utcnow() + delay, locked_until=None
        )

    async def give_up(self, job: Job, error: str) -> bool:
        return await self._settle(job, status=FAILED, last_error=error[:4000], locked_until=None)

    async def _settle(self, job: Job, **values: Any) -> bool:
        """Write the outcome if the row is still leased to `job.owner`; False when the lease was lost."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(InboxItem)
                .where(
                    InboxItem.id == job.id,
                    InboxItem.locked_by == job.owner,
                    InboxItem.status == PENDING,
                )
                .values(updated_at=utcnow(), **values)
                .execution_options(synchronize_session=False)
            )
            return bool(getattr(result, "rowcount", 0))

    async def hurry(self) -> int:
        """Make every row waiting to be retried due now (what failed is working again: the rest that
        failed the same way need not wait out their backoff); the number of rows."""
        now = utcnow()
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(InboxItem)
                .where(
                    InboxItem.source == self.source,
                    InboxItem.status == PENDING,
                    InboxItem.attempts > 0,
                    InboxItem.locked_until.is_(None),
                    InboxItem.next_attempt_at > now,
                )
                .values(next_attempt_at=now)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0))

    async def renew(self, ids: list[int], owner: str, lease: timedelta) -> None:
        """Extend `owner`'s leases of these rows (still being worked on) to now + `lease`."""
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(InboxItem)
                .where(InboxItem.id.in_(ids), InboxItem.locked_by == owner, InboxItem.status == PENDING)
                .values(locked_until=utcnow() + lease)
                .execution_options(synchronize_session=False)
            )

    async def release(self, owner: str) -> int:
        """Hand back the leases of `owner` (a worker stopping mid-job): the rows are claimable at once."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(InboxItem)
                .where(InboxItem.locked_by == owner, InboxItem.status == PENDING)
                .values(locked_until=None, updated_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0))

    async def cleanup(self, keep_done: timedelta = KEEP_DONE, keep_failed: timedelta = KEEP_FAILED) -> int:
        """Delete finished rows past their keeping time; the number deleted."""
        now = utcnow()
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(InboxItem).where(
                    InboxItem.source == self.source,
                    or_(
                        (InboxItem.status == DONE) & (InboxItem.updated_at < now - keep_done),
                        (InboxItem.status == FAILED) & (InboxItem.updated_at < now - keep_failed),
                    ),
                )
            )
            return int(getattr(result, "rowcount", 0))

    async def counts(self) -> dict[str, int]:
        """Rows by status (for tests and `/metrics`-style checks)."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(InboxItem.status, func.count())
                .where(InboxItem.source == self.source)
                .group_by(InboxItem.status)
            )
            return {str(status): int(n) for status, n in rows.all()}
