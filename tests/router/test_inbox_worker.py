"""`router.inbox_worker` on a real SQLite database, without the app (fast): retries with backoff, giving
up, leases kept while a job runs, work handed back when it stops."""

from __future__ import annotations

import asyncio
import time

import router.models  # noqa: F401  (registers the tables)
from router.inbox import InboxStore, Job
from router.inbox_worker import InboxWorker, RetryPolicy, Verdict
from tests.router.inbox_helpers import LEASE, eventually, rows


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
