"""bot/channels/webchat/lookup.py on a migrated SQLite database: sockets' look-ups are answered in
batches, one future per person, urgent ones first; a failed batch fails its futures, not the worker."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.webchat import lookup
from bot.channels.webchat.lookup import Lookups
from router.identity import Evidence, resolve_customer
from router.lookup import Who


def who(visitor: str) -> Who:
    return Who((Evidence("web_visitor", visitor, False),))


async def test_many_sockets_are_answered_in_batches(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup, "BATCH", 3)
    async with sessions() as session, session.begin():
        known = {f"v-{i}": (await resolve_customer(session, [Evidence("web_visitor", f"v-{i}", False)])).id
                 for i in range(5)}  # fmt: skip
    lookups = Lookups(sessions)
    try:
        futures = {f"v-{i}": lookups.find(who(f"v-{i}")) for i in range(8)}  # v-5..v-7: never seen
        assert lookups.find(who("v-0")) is futures["v-0"]  # a second tab shares the look-up
        assert lookups.pending == 8
        results = dict(zip(futures, await asyncio.gather(*futures.values()), strict=True))
        assert {v: r.customer_id for v, r in results.items() if r is not None} == known
        assert [v for v, r in results.items() if r is None] == ["v-5", "v-6", "v-7"]
        assert lookups.pending == 0
    finally:
        await lookups.close()


async def test_an_urgent_look_up_goes_first(sessions: async_sessionmaker[AsyncSession]) -> None:
    lookups = Lookups(sessions)
    order: list[str] = []
    try:
        waiting = [lookups.find(who(f"w-{i}")) for i in range(3)]
        urgent = lookups.find(who("w-2"), urgent=True)  # already waiting: moved to the front
        assert urgent is waiting[2]
        for name, future in (("w-0", waiting[0]), ("w-1", waiting[1]), ("w-2", waiting[2])):
            future.add_done_callback(lambda _f, name=name: order.append(name))
        await asyncio.gather(*waiting)
        await asyncio.sleep(0)
        assert order[0] == "w-2"
    finally:
        await lookups.close()


async def test_a_failed_batch_fails_its_futures_and_the_next_one_works(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    calls = 0

    def flaky() -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("database away")
        return sessions()

    lookups = Lookups(flaky)  # type: ignore[arg-type]
    try:
        with pytest.raises(OSError):
            await lookups.find(who("x-1"))
        assert await lookups.find(who("x-1")) is None  # tried again, now answered
    finally:
        await lookups.close()
