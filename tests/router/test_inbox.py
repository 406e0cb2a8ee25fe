"""`router.inbox` on a real SQLite database, without the app (fast): storing, claiming, leases, cleanup
(the worker running the rows: test_inbox_worker.py)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

import router.models  # noqa: F401  (registers the tables)
from infra.db import utcnow
from router.inbox import InboxStore
from router.models import InboxItem
from tests.router.inbox_helpers import LEASE, rows


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
