"""`router.inbox` and `router.inbox_worker` on a real SQLite database, without the app (fast)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import router.models  # noqa: F401  (registers the tables)
from config import DatabaseSettings
from infra.db import Base, create_engine, create_sessionmaker, utcnow
from router.inbox import InboxStore, Job
from router.inbox_worker import InboxWorker, RetryPolicy, Verdict
from router.models import InboxItem

LEASE = timedelta(seconds=60)


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/inbox.db"))
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
def store(sessions: async_sessionmaker[AsyncSession]) -> InboxStore:
    return InboxStore(sessions, "test")


async def rows(store: InboxStore) -> dict[str, InboxItem]:
    async with store.sessions() as session:
        return {r.event_id: r for r in await session.scalars(select(InboxItem))}


async def eventually(check: Callable[[], Any], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "never happened"
        await asyncio.sleep(0.02)


async def test_a_key_is_stored_once_and_lanes_go_one_row_at_a_time(store: InboxStore) -> None:
    assert await store.store("a1", "k", "lane-a", {"n": 1})
    assert not await store.store("a1", "k", "lane-a", {"n": 1}), "the same key again: a retried delivery"
    assert await store.store("a2", "k", "lane-a", {"n": 2})
    assert await store.store("b1", "k", "lane-b", {"n": 3})
    first = await store.claim(10, "w1", LEASE)
    assert [j.event_id for j in first] == ["a1", "b1"], "a2 waits behind a1 in its lane"
    assert await store.claim(10, "w2", LEASE) == [], "leased rows are nobody else's"
    assert await store.finish(first[0])
    [second] = await store.claim(10, "w2", LEASE)
    assert second.event_id == "a2" and second.payload == {"n": 2} and second.attempts == 1


async def test_a_lease_that_ran_out_is_claimable_and_the_old_owner_cannot_settle(store: InboxStore) -> None:
    await store.store("x", "k", "lane", {})
    [dead] = await store.claim(1, "died", LEASE)
    async with store.sessions() as session, session.begin():
        await session.execute(update(InboxItem).values(locked_until=utcnow() - timedelta(seconds=1)))
    [again] = await store.claim(1, "alive", LEASE)
    assert again.attempts == 2
    assert not await store.finish(dead), "the row is someone else's now"
    assert await store.finish(again)
    assert (await rows(store))["x"].status == "done"


async def test_release_and_cleanup(store: InboxStore) -> None:
    for key in ("old-done", "new-done", "old-failed", "waiting"):
        await store.store(key, "k", key, {})
    jobs = {j.event_id: j for j in await store.claim(10, "w", LEASE)}
    await store.finish(jobs["old-done"])
    await store.finish(jobs["new-done"])
    await store.give_up(jobs["old-failed"], "boom")
    assert await store.release("w") == 1  # "waiting" is claimable again at once
    assert [j.event_id for j in await store.claim(10, "w2", LEASE)] == ["waiting"]
    async with store.sessions() as session, session.begin():
        old = utcnow() - timedelta(days=8)
        await session.execute(
            update(InboxItem).where(InboxItem.event_id.in_(["old-done", "old-failed"])).values(updated_at=old)
        )
    assert await store.cleanup() == 2
    assert sorted(await rows(store)) == ["new-done", "waiting"]


class Flaky:
    """A handler that fails (as told per key) while `down`, and records what it did."""

    def __init__(self) -> None:
        self.down = True
        self.done: list[str] = []
        self.tries: dict[str, int] = {}

    async def __call__(self, job: Job) -> None:
        self.tries[job.event_id] = self.tries.get(job.event_id, 0) + 1
        if job.payload.get("broken"):
            raise ValueError("this row can never be done")
        if self.down:
            raise ConnectionRefusedError(f"the remote API is away ({job.event_id})")
        self.done.append(job.event_id)


async def test_the_worker_retries_an_outage_and_gives_up_on_what_never_works(store: InboxStore) -> None:
    flaky = Flaky()
    policy = RetryPolicy(first=0.05, cap=0.2, permanent_attempts=3)
    worker = InboxWorker(store, flaky, policy=policy, poll=0.1)
    worker.start()
    try:
        await store.store("ok", "k", "lane-1", {})
        await store.store("broken", "k", "lane-2", {"broken": True})
        await store.store("after-broken", "k", "lane-2", {})
        worker.wake()
        await eventually(lambda: _status(store, "broken", "failed"))
        assert "can never be done" in ((await rows(store))["broken"].last_error or "")
        assert flaky.tries["broken"] == 3
        await asyncio.sleep(0.3)
        assert flaky.done == [] and flaky.tries["ok"] >= 2, "retried while the API is away, not done"
        flaky.down = False
        await eventually(lambda: _status(store, "after-broken", "done"))
        await worker.drain()
        assert sorted(flaky.done) == ["after-broken", "ok"]
        assert {k: r.status for k, r in (await rows(store)).items()} == {
            "ok": "done",
            "broken": "failed",
            "after-broken": "done",
        }
    finally:
        await worker.stop()


async def test_one_row_getting_through_hurries_the_rows_backing_off(store: InboxStore) -> None:
    """After an outage the first retry that works makes the others due at once, not after their backoff."""
    flaky = Flaky()

    def classify(exc: BaseException) -> Verdict:  # a short backoff for the probe, a long one for the rest
        return Verdict(True, 0.2 if "(probe)" in str(exc) else 600.0)

    worker = InboxWorker(store, flaky, classify=classify, poll=0.1)
    worker.start()
    try:
        await store.store("probe", "k", "lane-1", {})
        worker.wake()
        await eventually(lambda: _attempts(store, "probe", 1))
        for key in ("late-1", "late-2"):
            await store.store(key, "k", key, {})
        worker.wake()
        await eventually(lambda: _attempts(store, "late-2", 1))
        started = time.monotonic()
        flaky.down = False
        await eventually(lambda: _status(store, "late-2", "done"))
        assert time.monotonic() - started < 5, "not the 600 s backoff"
        assert sorted(flaky.done) == ["late-1", "late-2", "probe"]
    finally:
        await worker.stop()


async def test_a_stopping_worker_hands_back_what_it_was_doing(store: InboxStore) -> None:
    started = asyncio.Event()

    async def slow(job: Job) -> None:
        started.set()
        await asyncio.sleep(60)

    worker = InboxWorker(store, slow, poll=0.1)
    worker.start()
    await store.store("slow", "k", "lane", {})
    worker.wake()
    await asyncio.wait_for(started.wait(), 10)
    await worker.stop(grace=0.1)
    row = (await rows(store))["slow"]
    assert row.status == "pending" and row.locked_until is None, "claimable at once by the next process"


async def _status(store: InboxStore, key: str, status: str) -> bool:
    row = (await rows(store)).get(key)
    return row is not None and row.status == status


async def _attempts(store: InboxStore, key: str, attempts: int) -> bool:
    row = (await rows(store)).get(key)
    return row is not None and row.attempts >= attempts and row.locked_until is None


async def test_a_long_job_keeps_its_lease(store: InboxStore) -> None:
    """A job running longer than the lease is not taken over: its lease is renewed while it runs."""
    release = asyncio.Event()

    async def long(job: Job) -> None:
        await release.wait()

    # A lease long enough that a loaded machine (the suite runs on two workers) still renews it in time.
    worker = InboxWorker(store, long, lease=1.5, poll=0.05)
    worker.start()
    try:
        await store.store("long", "k", "lane", {})
        worker.wake()
        await eventually(lambda: _attempts_leased(store, "long"))
        await asyncio.sleep(3.0)  # twice the lease
        assert await store.claim(1, "another-process", LEASE) == []
        release.set()
        await eventually(lambda: _status(store, "long", "done"))
        assert (await rows(store))["long"].attempts == 1
    finally:
        await worker.stop()


async def _attempts_leased(store: InboxStore, key: str) -> bool:
    row = (await rows(store)).get(key)
    return row is not None and row.locked_until is not None
