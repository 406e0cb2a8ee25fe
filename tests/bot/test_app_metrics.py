"""bot/app_metrics.py: the gauges read from the app's state at scrape time, through the real app's
`/metrics` (the counters: test_metrics.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.bot.metrics_helpers import scrape, value

TIMEOUT = 30


async def test_agent_sockets_are_counted(app_client: Any, agent_headers: dict[str, str]) -> None:
    ws = await app_client.ws_connect("/agent/ws", headers=agent_headers)
    assert (await ws.receive_json(timeout=TIMEOUT))["type"] == "snapshot"
    assert value(await scrape(app_client), "kundresa_open_sockets", kind="agent") == 1
    await ws.close()
    deadline = time.monotonic() + TIMEOUT
    open_ = 1.0
    while open_ and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        open_ = value(await scrape(app_client), "kundresa_open_sockets", kind="agent")
    assert value(await scrape(app_client), "kundresa_open_sockets", kind="agent") == 0


async def test_tickets_by_status_are_counted_in_the_database_at_scrape_time(
    app_client: Any, agent_headers: dict[str, str]
) -> None:
    before = await scrape(app_client)
    assert value(before, "kundresa_tickets", status="open") == 0
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": "metrics-ticket"})
    await ws.send_json({"type": "human"})
    while (await ws.receive_json(timeout=TIMEOUT))["type"] != "handoff":
        pass
    await ws.close()
    assert value(await scrape(app_client), "kundresa_tickets", status="open") == 1
