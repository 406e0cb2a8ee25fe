"""Crash recovery: a customer message that was stored (and acknowledged) but never answered gets its answer.

A message is acknowledged once stored and answered a moment later; a process killed in between (kill -9,
out of memory, a lost machine) leaves it unanswered. A message is *unanswered* when nothing went out to
the customer for it (no bot frame naming it in `reply_to`, no agent reply after it), the bot owns its
conversation, and no ticket was opened or closed for the conversation since it came in. Those are answered:

- when a process starts, those up to `recovery.window_hours` old stored before it started (`run`);
- when a client resends one (the same client id; `resent`);
- after a turn failed once its message was stored (the database away for a moment; `failed`).

A process can also die between opening a handoff ticket and telling the customer (two steps): the ticket
is in the queue but the customer waits without knowing. Those handoffs are announced the same way.

Exactly one process answers each: every answer is given under a claim on the conversation (a PostgreSQL
advisory lock, held while answering, plus a lock of this process), and whether the message is still
unanswered is checked again under it. A message being answered right now by a live process is not in the
database as such; it is recognised by age instead: while other processes of the deployment are connected
(seen in `pg_stat_activity` by their application_name), a message younger than `recovery.grace_seconds` is
left until it is that old. With no other process alive (one process, restarted after a crash) nothing waits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.dialogue import Dialogue
from bot.recovery_claims import Claims
from bot.unanswered import Pending, find_unannounced, find_unanswered
from config.settings import RecoverySettings
from infra.db import utcnow
from router.masking import MaskResult
from router.service import Inbound

log = logging.getLogger("kundresa.recovery")

__all__ = ["Recovery", "RecoveryReport"]

CONCURRENT = 4  # conversations answered at once by a recovery pass (one encode batch shares them)
RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # after a failed turn; then it waits for the next start


@dataclass
class RecoveryReport:
    found: int = 0
    answered: int = 0  # messages answered (or handed off) and handoffs announced
    deferred: int = 0  # left for the grace period: possibly in a live process's hands
    failed: int = 0
    seconds: float = 0.0
    conversations: set[int] = field(default_factory=set)


class Recovery:
    """Answers unanswered messages for one process; `run()` once at start, the hooks on the dialogue after."""

    def __init__(
        self,
        dialogue: Dialogue,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        settings: RecoverySettings,
    ) -> None:
        self.dialogue = dialogue
        self.engine = engine
        self.sessions = sessions
        self.settings = settings
        self.started_at = utcnow()  # messages stored before this are not being answered here
        self.claims = Claims(engine, settings.grace_seconds)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._scheduled: set[tuple[int, int | None, int | None]] = set()
        self.answered = 0  # messages answered and handoffs announced by recovery here (tests, metrics)

    def attach(self) -> None:
        """Hook into the dialogue: resent messages and failed turns come here."""
        self.dialogue.on_resent = self.resent
        self.dialogue.on_failed = self.failed

    def start(self) -> None:
        """The start-up pass, in the background (the server serves meanwhile)."""
        self._spawn(self.run())

    async def close(self) -> None:
        """Stop what is scheduled; the next process to start picks up whatever is left."""
        if self.dialogue.on_resent == self.resent:
            self.dialogue.on_resent = None
            self.dialogue.on_failed = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # -- the start-up pass ---------------------------------------------------------------------------
    async def run(self) -> RecoveryReport:
        """Answer (or hand off) every unanswered message stored before this process started, and announce
        every handoff opened before it but never announced."""
        began = time.monotonic()
        report = RecoveryReport()
        since = self._since()
        try:
            async with self.sessions() as session:
                pending = await find_unanswered(session, since=since, before=self.started_at)
                pending += await find_unannounced(session, since=since, before=self.started_at)
        except Exception:
            log.exception("crash recovery could not look for unanswered messages; retrying in 5 s")
            self._spawn(self._run_later(5.0))
            return report
        report.found = len(pending)
        if not pending:
            return report
        cutoff = await self.claims.cutoff()
        by_conversation: defaultdict[int, list[Pending]] = defaultdict(list)
        for p in pending:
            if p.created_at > cutoff:  # maybe in a live process's hands: look again once it is old enough
                report.deferred += 1
                self.later(p, self._due_in(p.created_at))
            else:
                by_conversation[p.conversation_id].append(p)
        limit = asyncio.Semaphore(CONCURRENT)

        async def one_conversation(items: list[Pending]) -> None:
            # In seq order, each message its own answer, as the live turns would have given them; a
            # handoff on the first makes the rest the agent's.
            async with limit:
                for p in items:
                    try:
                        if await self.handle(p) is not None:
                            report.answered += 1
                            report.conversations.add(p.conversation_id)
                    except Exception:
                        report.failed += 1
                        log.warning("crash recovery failed on %s; retrying", p.describe(), exc_info=True)
                        self.later(p, RETRY_DELAYS[0], attempt=1)

        await asyncio.gather(*(one_conversation(items) for items in by_conversation.values()))
        report.seconds = time.monotonic() - began
        log.info(
            "crash recovery: %d unanswered message(s) or unannounced handoff(s) found, %d answered in %d "
            "conversation(s), %d left for the %.0f s grace period, %d failed (%.2f s)",
            report.found,
            report.answered,
            len(report.conversations),
            report.deferred,
            self.settings.grace_seconds,
            report.failed,
            report.seconds,
        )
        return report

    async def _run_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        await self.run()

    # -- one piece of work ---------------------------------------------------------------------------
    async def handle(self, p: Pending) -> list[dict[str, Any]] | None:
        """Do `p` if it still needs doing (and is not being done here): the frames sent, or None when
        there was nothing to do. Safe to call from any number of processes at once."""
        if p.seq is not None:
            return await self.answer(p.conversation_id, p.seq)
        return await self.announce(p.conversation_id, p.ticket_id or 0)

    async def answer(self, conversation_id: int, seq: int) -> list[dict[str, Any]] | None:
        """Answer one stored message if it is still unanswered."""
        async with self.claims.claim(conversation_id):
            if self.dialogue.turns.answering(conversation_id, seq):
                return None
            found = await self._still(find_unanswered, conversation_id=conversation_id, seq=seq)
            if found is None:
                return None
            inbound = Inbound(
                conversation_id=found.conversation_id,
                seq=seq,
                text=found.text,
                duplicate=False,
                # Stored masked: card numbers are gone, so no second card warning either.
                mask=MaskResult(found.text, found.masked, ()),
                owner="bot",
            )
            frames = await self.dialogue.respond(inbound)
            self.answered += 1
            return frames

    async def announce(self, conversation_id: int, ticket_id: int) -> list[dict[str, Any]] | None:
        """Tell the customer about a handoff that was opened but never announced."""
        async with self.claims.claim(conversation_id):
            found = await self._still(find_unannounced, ticket_id=ticket_id)
            if found is None:
                return None
            lang = str(found.bot_state.get("lang") or "sv")
            with self.dialogue.turns.track():
                frame = await self.dialogue.replies.announce_handoff(conversation_id, ticket_id, lang)
            if frame is None:
                return None
            self.answered += 1
            return [frame]

    async def _still(self, find: Any, **only: Any) -> Pending | None:
        async with self.sessions() as session:
            found: list[Pending] = await find(session, since=self._since(), **only)
        return found[0] if found else None

    async def resent(self, inbound: Inbound) -> list[dict[str, Any]]:
        """A client resent a message stored before: it gets its answer if its first try got none."""
        conversation_id, seq = inbound.conversation_id, inbound.seq
        if self.dialogue.turns.answering(conversation_id, seq):
            return []  # its answer is on the way, to this conversation's sockets
        found = await self._still(find_unanswered, conversation_id=conversation_id, seq=seq)
        if found is None:
            return []  # answered: the acknowledgement again is all the client gets
        if found.created_at > await self.claims.cutoff():
            self.later(found, self._due_in(found.created_at))
            return []
        return await self.answer(conversation_id, seq) or []

    def failed(self, inbound: Inbound) -> None:
        """A turn failed after its message was stored: try again shortly, in the background."""
        p = Pending(inbound.conversation_id, utcnow(), seq=inbound.seq)
        self.later(p, RETRY_DELAYS[0], attempt=1)

    def later(self, p: Pending, delay: float, attempt: int = 0) -> None:
        """Do `p` after `delay` s: after the grace period (`attempt` 0: first checks whether a live process
        may still be on it), or as a retry after a failure (1, 2, ...)."""
        if p.key in self._scheduled:
            return
        self._scheduled.add(p.key)
        self._spawn(self._later(p, delay, attempt))

    async def _later(self, p: Pending, delay: float, attempt: int) -> None:
        try:
            while True:
                await asyncio.sleep(delay)
                try:
                    if attempt == 0:  # waited out the grace period: is a live process still on it?
                        cutoff = await self.claims.cutoff()
                        if p.seq is not None:
                            found = await self._still(
                                find_unanswered, conversation_id=p.conversation_id, seq=p.seq
                            )
                        else:
                            found = await self._still(find_unannounced, ticket_id=p.ticket_id or 0)
                        if found is None:
                            return
                        if found.created_at > cutoff:
                            delay = self._due_in(found.created_at)
                            continue
                    await self.handle(p)
                    return
                except Exception as exc:
                    if attempt >= len(RETRY_DELAYS):
                        log.error("gave up on %s (%s); a restart tries again", p.describe(), exc)
                        return
                    delay = RETRY_DELAYS[attempt]
                    attempt += 1
                    log.warning("could not yet do %s (%s); retrying in %.0f s", p.describe(), exc, delay)
        finally:
            self._scheduled.discard(p.key)

    def _since(self) -> datetime:
        return utcnow() - timedelta(hours=self.settings.window_hours)

    def _due_in(self, created_at: datetime) -> float:
        grace = timedelta(seconds=self.settings.grace_seconds)
        return max(0.1, (created_at + grace - utcnow()).total_seconds())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
