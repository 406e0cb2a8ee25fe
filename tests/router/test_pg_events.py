"""router/pg_events.py on a real PostgreSQL: the bridge carries events too big for NOTIFY (by the outbox),
never echoes its own, and listens again after losing its connection (the app across two processes:
tests/test_postgres.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from router.pg_events import MAX_PAYLOAD, PgEventBridge
from router.service import Router
from tests.pg import Recorder

pytestmark = pytest.mark.postgres


async def test_bridge_carries_big_events_and_ignores_its_own(two_routers: list[Router]) -> None:
    first, _ = two_routers
    bridges = [PgEventBridge(r.sessions.kw["bind"], r) for r in two_routers]
    for bridge in bridges:
        await bridge.start()
    try:
        heard = [Recorder(), Recorder()]
        for router, recorder in zip(two_routers, heard, strict=True):
            router.bus.subscribe("tickets", recorder)
        big = {"event": "note", "ticket_id": 7, "blob": "x" * (2 * MAX_PAYLOAD)}
        await first.bus.publish("tickets", big)  # only the outbox can carry this one
        await first.bus.publish("tickets", {"event": "small", "ticket_id": 8})
        got = await heard[1].until(lambda t, d: d["event"] == "note")
        assert got == big
        assert (await heard[1].until(lambda t, d: True))["event"] == "small"
        # the publisher's own listeners heard each event exactly once (no echo from the database)
        assert [(await heard[0].until(lambda t, d: True))["event"] for _ in range(2)] == ["note", "small"]
        await asyncio.sleep(0.3)
        assert heard[0].events.empty() and bridges[0].received == 0 and bridges[1].received == 2
    finally:
        for bridge in bridges:
            await bridge.close()


async def test_bridge_listens_again_after_losing_its_connection(two_routers: list[Router]) -> None:
    first, second = two_routers
    bridges = [PgEventBridge(r.sessions.kw["bind"], r) for r in two_routers]
    for bridge in bridges:
        await bridge.start()
    try:
        heard = Recorder()
        second.bus.subscribe("tickets", heard)
        async with second.sessions() as session:  # what a database restart or a proxy would do
            killed = await session.scalar(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            )
        assert killed == 2
        async with asyncio.timeout(20):
            n = 0
            while bridges[1].received == 0:  # events sent while it reconnects are lost: keep sending
                n += 1
                await first.bus.publish("tickets", {"event": "ping", "ticket_id": n})
                await asyncio.sleep(0.3)
        assert (await heard.until(lambda t, d: d["event"] == "ping"))["ticket_id"] >= 1
    finally:
        for bridge in bridges:
            await bridge.close()
