"""PostgreSQL away for a few seconds (stopped and started again under a running app).

While it is away: the HTTP API answers 503 with a JSON error and Retry-After (no traceback, no 500), a chat
message gets an error frame and no acknowledgement, and nothing half-written is left (a message is either
stored and acknowledged, or neither: the one sent during the outage is stored once, when it is sent again).
Once it is back, everything works again by itself: the pool replaces its dead connections
(`pool_pre_ping`), the LISTEN bridge reconnects.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from infra.app_keys import SESSIONS
from router.auth import create_user
from router.pg_events import PG_EVENTS
from tests.settings_for import settings_for

pytestmark = pytest.mark.postgres

ANSWERABLE = "hur lång är leveranstiden?"


@pytest_asyncio.fixture
async def client(pg_kb_db_url: str) -> AsyncIterator[TestClient[Any, Any]]:
    settings = settings_for(pg_kb_db_url)
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


def _pg_ctl(cluster: Any, *args: str) -> None:
    cluster._run(str(cluster.bindir / "pg_ctl"), "-D", str(cluster.data), *args)


def _stop(cluster: Any) -> None:
    _pg_ctl(cluster, "-m", "fast", "-w", "stop")


def _start(cluster: Any) -> None:
    # The options tests/pg.py starts the cluster with.
    options = f"-k {cluster.root} -c listen_addresses='' -F -c max_connections=200"
    _pg_ctl(cluster, "-l", str(cluster.log), "-o", options, "-w", "-t", "30", "start")


async def test_the_database_away_for_a_few_seconds(client: TestClient[Any, Any], pg_cluster: Any) -> None:
    app = client.app
    async with app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "agnes", "agent")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/tickets", headers=headers)).status == 200

    await asyncio.to_thread(_stop, pg_cluster)
    try:
        resp = await client.get("/api/tickets", headers=headers)
        assert resp.status == 503
        assert resp.headers["Retry-After"] == "5"
        body = await resp.json()
        assert body["error"]["code"] == "database_unavailable", body
        assert "Traceback" not in await resp.text()

        # A chat message cannot be stored: it is not acknowledged (the widget keeps it and sends it again),
        # and the socket says the database is away (opening a socket writes nothing, so that works).
        ws = await client.ws_connect("/ws/chat", params={"visitor": "outage"})
        await ws.send_json({"type": "message", "id": "during", "text": ANSWERABLE})
        frame = await ws.receive_json(timeout=20)
        assert frame["type"] == "error", frame
        assert frame["code"] == "database_unavailable", frame
        await ws.close()
    finally:
        await asyncio.to_thread(_start, pg_cluster)

    # Back by itself: no restart of the app, no request needed to "wake" it.
    deadline = time.monotonic() + 20
    while (resp := await client.get("/api/tickets", headers=headers)).status != 200:
        assert time.monotonic() < deadline, await resp.text()
        await asyncio.sleep(0.2)
    ws = await client.ws_connect("/ws/chat", params={"visitor": "outage"})
    await ws.send_json({"type": "message", "id": "during", "text": ANSWERABLE})  # the widget's resend
    assert (await ws.receive_json(timeout=20)) == {"type": "ack", "id": "during", "seq": 1}
    frames = [await ws.receive_json(timeout=20) for _ in range(2)]
    assert [f["type"] for f in frames] == ["typing", "answer"], frames
    await ws.close()
    bridge = app[PG_EVENTS]
    deadline = time.monotonic() + 20
    while not bridge._listening.is_set():  # the LISTEN connection came back too
        assert time.monotonic() < deadline, "the LISTEN bridge did not reconnect"
        await asyncio.sleep(0.2)
