"""`InboxWorker`: does the stored work of one `InboxStore`, retrying what fails, until it is done.

One worker task per process claims due rows (a few at a time, each lane's oldest only) and runs the handler
for each in a task of its own. Done → `finish`. Failed → `classify` says whether the error is transient
(the remote API or the database is away: retried with exponential backoff, or after `Retry-After`, for
up to `give_up_after`) or looks permanent (a bug, a refused request: retried `permanent_attempts` times,
in case it was a race, then marked failed with the error for an operator). An outage delays work; only an
outage longer than `give_up_after` fails it, and then the row says so.

The worker wakes when this process stores work (`wake`), when a job ends (its lane's next row may be due),
and otherwise every `poll` seconds, for work other processes stored and leases that ran out.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import DBAPIError, OperationalError

from infra.db import utcnow
from router.inbox import InboxStore, Job

log = logging.getLogger("kundresa.inbox")

Handler = Callable[[Job], Awaitable[None]]


@dataclass(frozen=True)
class Verdict:
    """What to do about an error: retry it as transient, and after how long if the error says."""

    transient: bool
    retry_after: float | None = None


def classify_common(exc: BaseException) -> Verdict:
    """Network and database trouble is transient; anything else looks permanent."""
    if isinstance(exc, (OSError, asyncio.TimeoutError, OperationalError)):
        return Verdict(True)
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return Verdict(True)
    return Verdict(False)


@dataclass
class RetryPolicy:
    first: float = 1.0  # seconds before the second attempt
    factor: float = 2.0
    cap: float = 300.0  # never wait longer than this between attempts
    permanent_attempts: int = 5
    give_up_after: timedelta = timedelta(days=1)

    def delay(self, attempts: int, verdict: Verdict) -> float:
        if verdict.retry_after is not None:
            return min(max(verdict.retry_after, 0.0), self.cap)
        base = min(self.cap, self.first * self.factor ** max(attempts - 1, 0))
        return base * random.uniform(0.8, 1.2)  # spread, so rows failed together are not retried together

    def gives_up(self, job: Job, verdict: Verdict) -> bool:
        if utcnow() - job.created_at > self.give_up_after:
            return True
        return not verdict.transient and job.attempts >= self.permanent_attempts


class InboxWorker:
    def __init__(
        self,
        store: InboxStore,
        handle: Handler,
        *,
        classify: Callable[[BaseException], Verdict] = classify_common,
        policy: RetryPolicy | None = None,
        # Jobs mostly wait (the model, the database, Slack); 32 at once answered a burst of 200 Slack
        # messages from 50 customers in 6.8 s against 10.1 s with 8 (the model batches more questions).
        concurrency: int = 32,
        lease: float = 30.0,  # renewed every lease/3 while a job runs: how long a dead process's rows wait
        timeout: float = 90.0,  # a job running longer is cancelled and retried
        poll: float = 2.0,
        cleanup_every: float = 3600.0,
    ) -> None:
        self.store, self.handle, self.classify = store, handle, classify
        self.policy = policy or RetryPolicy()
        self.concurrency, self.lease, self.timeout, self.poll = concurrency, lease, timeout, poll
        self.cleanup_every = cleanup_every
        self.owner = f"{store.source}-{uuid.uuid4().hex[:16]}"  # this worker's claims
        self.done = 0  # jobs finished here (for tests and logs)
        self._running: dict[asyncio.Task[None], Job] = {}
        self._finished: list[Job] = []  # done, to be marked so with the next claim (one transaction)
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._dues: list[float] = []  # loop times of this worker's scheduled retries (a heap)
        self._hurried = float("-inf")  # loop time of the last `_recovered`

    # -- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        self._loop_task = asyncio.get_running_loop().create_task(self._loop(), name=f"inbox-{self.owner}")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming; let running jobs finish for `grace` seconds, cancel the rest and hand their rows
        back (another process, or the next start, does them)."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._running:
            _, pending = await asyncio.wait(set(self._running), timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        try:
            await self._settle_finished(0)
            released = await self.store.release(self.owner)
        except Exception:  # the database is gone too: the leases run out by themselves
            log.warning(
                "could not hand back the inbox rows of %s; they are retried when their lease ends", self.owner
            )
        else:
            if released:
                log.info("handed back %d unfinished inbox rows", released)

    def wake(self) -> None:
        self._wake.set()

    @property
    def running(self) -> int:
        return len(self._running)

    async def drain(self) -> None:
        """Return once nothing is running here and no row is pending (tests: "all work done")."""
        while True:
            if not self._running and not self._finished and not (await self.store.counts()).get("pending"):
                return
            self._wake.set()
            await asyncio.sleep(0.02)

    # -- the loop ----------------------------------------------------------------------------------------
    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_cleanup = loop.time()
        next_renewal = loop.time() + self.lease / 3
        while not self._stopping:
            if loop.time() >= next_cleanup:
                next_cleanup = loop.time() + self.cleanup_every
                await self._cleanup()
            if loop.time() >= next_renewal:
                next_renewal = loop.time() + self.lease / 3
                await self._renew()
            self._wake.clear()
            claimed_at = loop.time()
            free = self.concurrency - len(self._running)
            if free > 0 or self._finished:
                try:
                    jobs = await self._settle_finished(max(free, 0))
                except Exception as exc:  # the database is away: try again after a poll interval
                    log.warning("claiming inbox rows failed (%s); retrying in %.0f s", exc, self.poll)
                    jobs = []
                for job in jobs:
                    task = loop.create_task(self._run(job), name=f"inbox-job-{job.id}")
                    self._running[task] = job
                    task.add_done_callback(self._ended)
            while self._dues and self._dues[0] <= claimed_at:
                heapq.heappop(self._dues)  # the claim above saw it due
            wait = max(0.0, min(self.poll, self._dues[0] - loop.time())) if self._dues else self.poll
            wait = min(wait, max(0.0, next_renewal - loop.time()))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _settle_finished(self, limit: int) -> list[Job]:
        """Mark the jobs finished since the last call done and claim up to `limit` new ones."""
        finished, self._finished = self._finished, []
        try:
            done, jobs = await self.store.finish_and_claim(
                finished, limit, self.owner, timedelta(seconds=self.lease)
            )
        except BaseException:
            self._finished[:0] = finished  # marked done with the next try
            raise
        self.done += done
        if done < len(finished):
            log.warning(
                "%d inbox rows were finished after their lease ran out; they may run twice",
                len(finished) - done,
            )
        if any(job.attempts > 1 for job in finished):
            await self._recovered()
        return jobs

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        self._wake.set()  # a slot is free, and the lane's next row may be due now

    async def _renew(self) -> None:
        """Keep the leases of the rows being worked on from running out (a long job is not a dead one)."""
        ids = [job.id for job in self._running.values()]
        if not ids:
            return
        try:
            await self.store.renew(ids, self.owner, timedelta(seconds=self.lease))
        except Exception as exc:  # the database is away: the next renewal tries again
            log.warning("renewing the leases of %d inbox rows failed: %s", len(ids), exc)

    async def _cleanup(self) -> None:
        try:
            deleted = await self.store.cleanup()
        except Exception as exc:
            log.warning("cleaning up old inbox rows failed: %s", exc)
            return
        if deleted:
            log.info("deleted %d finished inbox rows", deleted)

    async def _run(self, job: Job) -> None:
        try:
            await asyncio.wait_for(self.handle(job), self.timeout)
        except asyncio.CancelledError:
            raise  # stopping: `stop` hands the row back
        except Exception as exc:
            await self._failed(job, exc)
            return
        self._finished.append(job)  # `_ended` wakes the loop, which records it

    async def _recovered(self) -> None:
        """A row that failed before went through: whatever was down (Slack, the database) is likely back,
        so the rows backing off are retried now rather than after their (up to `cap`) backoff. The first
        row due again is the probe; at most one hurry a second."""
        now = asyncio.get_running_loop().time()
        if now - self._hurried < 1.0:
            return
        self._hurried = now
        try:
            hurried = await self.store.hurry()
        except Exception as exc:  # only a shortcut: the rows are retried after their backoff anyway
            log.warning("could not retry the waiting inbox rows early: %s", exc)
            return
        if hurried:
            log.info("a retried inbox row went through; %d waiting rows are retried now", hurried)
            self._dues.clear()
            self._wake.set()

    async def _failed(self, job: Job, exc: Exception) -> None:
        verdict = self.classify(exc)
        error = f"{type(exc).__name__}: {exc}"
        what = f"inbox row {job.id} ({job.source} {job.kind} {job.event_id})"
        try:
            if self.policy.gives_up(job, verdict):
                await self.store.give_up(job, error)
                log.error(
                    "%s failed after %d attempts and is given up: %s. It stays in inbox_items with "
                    "status 'failed' for 7 days; fix the cause, then set its status to 'pending' to redo it",
                    what,
                    job.attempts,
                    error,
                    exc_info=not verdict.transient,
                )
                return
            delay = self.policy.delay(job.attempts, verdict)
            await self.store.retry(job, error, timedelta(seconds=delay))
        except Exception as db_exc:  # not recorded: the row is claimed again when its lease ends
            log.error("%s failed (%s) and the failure could not be recorded: %s", what, error, db_exc)
            return
        heapq.heappush(self._dues, asyncio.get_running_loop().time() + delay)
        self._wake.set()
        if verdict.transient:
            log.warning("%s failed (attempt %d), retrying in %.1f s: %s", what, job.attempts, delay, error)
        else:
            log.error("%s failed (attempt %d), retrying in %.1f s", what, job.attempts, delay, exc_info=exc)
