"""Which conversation each new chat socket has, looked up in batches by one worker.

Thousands of sockets can open within seconds (a busy shop page, every widget reconnecting after a
deploy). One look-up each, one at a time, kept the database busy for a minute (SQLite: one connection;
each query several trips to its thread), and chat answers waited behind them. Here one task takes up to
`BATCH` waiting sockets at a time and looks them all up with one query (`router.lookup.find_customers`):
a chat answer waits behind at most one batch. A socket whose customer is waiting for an answer (its first
message) asks `urgent=True` and goes to the front.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Hashable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.lookup import Known, Who, find_customers

log = logging.getLogger("kundresa.webchat")
BATCH = 100  # identities per query: a few hundred bound parameters, fine for SQLite and PostgreSQL


class Lookups:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        # Two tabs of one visitor share a look-up: keyed by who they are.
        self._urgent: OrderedDict[Hashable, tuple[Who, asyncio.Future[Known | None]]] = OrderedDict()
        self._waiting: OrderedDict[Hashable, tuple[Who, asyncio.Future[Known | None]]] = OrderedDict()
        self._worker: asyncio.Task[None] | None = None

    def find(self, who: Who, *, urgent: bool = False) -> asyncio.Future[Known | None]:
        """A future for `who`'s customer (None: nobody known). Shared by every socket asking for the same
        `who` until it is answered: await it through `asyncio.shield`."""
        key: Hashable = who
        entry = self._urgent.get(key) or self._waiting.get(key)
        if entry is None:
            entry = (who, asyncio.get_running_loop().create_future())
            (self._urgent if urgent else self._waiting)[key] = entry
        elif urgent and key in self._waiting:
            self._urgent[key] = self._waiting.pop(key)
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(self._work(), name="chat-lookups")
        return entry[1]

    @property
    def pending(self) -> int:
        return len(self._urgent) + len(self._waiting)

    async def _work(self) -> None:
        while self._urgent or self._waiting:
            batch: list[tuple[Who, asyncio.Future[Known | None]]] = []
            for queue in (self._urgent, self._waiting):
                while queue and len(batch) < BATCH:
                    batch.append(queue.popitem(last=False)[1])
            try:
                async with self._sessions() as session:
                    found = await find_customers(session, [who for who, _ in batch])
            except Exception as exc:  # each socket tries again when it needs to (`known` is not cached)
                log.warning("could not look up %d chat socket(s): %s", len(batch), exc)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                        future.exception()  # retrieved: a socket that has gone does not log it
                continue
            for (_, future), known in zip(batch, found, strict=True):
                if not future.done():
                    future.set_result(known)

    async def close(self) -> None:
        if self._worker is not None and not self._worker.done():
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
