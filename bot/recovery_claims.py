"""Who answers a conversation during crash recovery, and how old a message must be to be nobody else's.

A claim is a lock of this process plus, on PostgreSQL, an advisory lock held while answering: exactly one
process answers each message. A message being answered right now by a live process is not in the database
as such; while other processes of the deployment are connected (seen in `pg_stat_activity` by their
application_name), a message younger than `grace_seconds` is left until it is that old.
"""

from __future__ import annotations

import contextlib
import time
import weakref
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from infra.db import APPLICATION_NAME, utcnow
from router.conversations import ConversationLocks

CLAIM_NAMESPACE = 0x4B52  # the first key of pg_advisory_xact_lock(int, int): Kundresa's conversation claims
ALIVE_CACHE_SECONDS = 2.0

_LOCAL_LOCKS: weakref.WeakKeyDictionary[Engine, ConversationLocks] = weakref.WeakKeyDictionary()


def _local_locks(engine: AsyncEngine) -> ConversationLocks:
    """Per-conversation locks shared by every `Recovery` on this engine (tests build two on one app).
    Engines of their own (other processes, or a test's second app) exclude each other through PostgreSQL."""
    locks = _LOCAL_LOCKS.get(engine.sync_engine)
    if locks is None:
        locks = _LOCAL_LOCKS[engine.sync_engine] = ConversationLocks()
    return locks


class Claims:
    """Conversation claims and the liveness of other processes, for one `Recovery`."""

    def __init__(self, engine: AsyncEngine, grace_seconds: float) -> None:
        self.engine = engine
        self.grace_seconds = grace_seconds
        self.postgres = engine.dialect.name == "postgresql"
        self._locks = _local_locks(engine)
        self._alive: tuple[float, bool] = (0.0, False)

    @contextlib.asynccontextmanager
    async def claim(self, conversation_id: int) -> AsyncIterator[None]:
        """Only one answerer per conversation at a time, in this process and (PostgreSQL) across them."""
        async with self._locks(conversation_id):
            if not self.postgres:
                yield  # SQLite: one process serves a database
                return
            async with self.engine.connect() as conn, conn.begin():
                # Held for the transaction, released at its end, or by PostgreSQL if this process dies.
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:ns, :id)"),
                    {"ns": CLAIM_NAMESPACE, "id": conversation_id},
                )
                yield

    async def others_alive(self) -> bool:
        """Whether another process of the deployment is connected to the database now (PostgreSQL; a
        SQLite database has one process)."""
        if not self.postgres:
            return False
        checked, alive = self._alive
        if time.monotonic() - checked < ALIVE_CACHE_SECONDS:
            return alive
        async with self.engine.connect() as conn:
            others = await conn.scalar(
                select(func.count())
                .select_from(text("pg_stat_activity"))
                .where(
                    text("datname = current_database()"),
                    text("application_name LIKE :prefix").bindparams(prefix=f"{APPLICATION_NAME} %"),
                    text("application_name <> current_setting('application_name')"),
                )
            )
        alive = bool(others)
        self._alive = (time.monotonic(), alive)
        return alive

    async def cutoff(self) -> datetime:
        """Messages stored after this may be in a live process's hands."""
        if await self.others_alive():
            return utcnow() - timedelta(seconds=self.grace_seconds)
        return utcnow()
