"""`/healthz` (liveness, with the model's and the database's state); `/readyz` (503 while either is down)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.app import DRAIN, create_app
from bot.app_keys import EMBEDDER
from config import Settings, load_settings

TIMEOUT = 60  # a model worker process restarting on a loaded 2-core machine


async def ready(client: Any) -> tuple[int, dict[str, Any]]:
    resp = await client.get("/readyz")
    assert resp.headers["Content-Type"].startswith("application/json")
    return resp.status, await resp.json()


async def until_ready(client: Any, want: int) -> dict[str, Any]:
    deadline = time.monotonic() + TIMEOUT
    status, body = await ready(client)
    while status != want and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        status, body = await ready(client)
    assert status == want, body
    return body


async def test_healthz_reports_the_model_and_the_database(app_client: Any) -> None:
    resp = await app_client.get("/healthz")
    assert resp.status == 200
    body = await resp.json()
    assert body["status"] == "ok" and body["articles"] >= 15
    assert body["model"]["status"] == "up" and body["model"]["worker"] == "thread"
    assert body["model"]["workers"] == ["up"] and body["model"]["restarts"] == 0
    assert body["database"]["status"] == "up" and body["database"]["ms"] >= 0
    assert body["ready"] is True and body["draining"] is False
    status, body = await ready(app_client)
    assert status == 200 and body["status"] == "ready"


async def test_not_ready_while_draining(app_client: Any) -> None:
    """SIGTERM: turns finish and sockets close; meanwhile a load balancer must stop sending new ones."""
    app_client.app[DRAIN].draining = True
    status, body = await ready(app_client)
    assert status == 503
    assert body["error"]["code"] == "not_ready" and "draining" in body["error"]["message"]
    health = await app_client.get("/healthz")
    assert health.status == 200  # alive all the same: a liveness probe must not kill a draining process
    app_client.app[DRAIN].draining = False
    assert (await ready(app_client))[0] == 200


@pytest_asyncio.fixture
async def process_client(
    demo_db_settings: Settings, make_settings: Callable[..., Settings]
) -> AsyncIterator[TestClient[Any, Any]]:
    settings = make_settings(model={"worker": "process", "processes": 1})
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


@pytest.mark.slow
async def test_a_killed_model_worker_is_not_ready_then_restarted(process_client: Any) -> None:
    body = await until_ready(process_client, 200)
    assert body["model"]["worker"] == "process" and body["model"]["workers"] == ["up"]
    pid = await process_client.app[EMBEDDER].worker_pid()
    assert pid is not None and pid != os.getpid()

    os.kill(pid, signal.SIGKILL)
    status, body = await ready(process_client)
    deadline = time.monotonic() + 10
    while status == 200 and time.monotonic() < deadline:  # the executor notices the death shortly
        await asyncio.sleep(0.05)
        status, body = await ready(process_client)
    assert status == 503, body
    assert body["error"]["code"] == "not_ready" and "model" in body["error"]["message"]
    assert body["model"]["status"] == "down" and body["database"]["status"] == "up"
    health = await process_client.get("/healthz")
    assert health.status == 200 and (await health.json())["model"]["status"] == "down"

    # No question arrives at a process that is not ready: the check itself starts a new worker.
    body = await until_ready(process_client, 200)
    assert body["model"]["restarts"] == 1
    new_pid = await process_client.app[EMBEDDER].worker_pid()
    assert new_pid not in (None, pid)
    resp = await process_client.get("/metrics")
    assert "kundresa_model_worker_restarts_total 1.0" in await resp.text()


# -- PostgreSQL stopped and started under the running app ------------------------------------------------
def _pg_ctl(cluster: Any, *args: str) -> None:
    cluster._run(str(cluster.bindir / "pg_ctl"), "-D", str(cluster.data), *args)


def _stop(cluster: Any) -> None:
    _pg_ctl(cluster, "-m", "fast", "-w", "stop")


def _start(cluster: Any) -> None:
    options = f"-k {cluster.root} -c listen_addresses='' -F -c max_connections=200"  # as tests/pg.py does
    _pg_ctl(cluster, "-l", str(cluster.log), "-o", options, "-w", "-t", "30", "start")


@pytest.mark.postgres
async def test_not_ready_while_the_database_is_away_then_ready(pg_kb_db_url: str, pg_cluster: Any) -> None:
    settings = load_settings(
        environ={},
        model={"worker": "thread"},
        database={"url": pg_kb_db_url},
        demo=False,
        chat={"identity_secret": "test-identity-secret"},
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        assert (await ready(client))[0] == 200
        await asyncio.to_thread(_stop, pg_cluster)
        try:
            began = time.monotonic()
            status, body = await ready(client)
            assert status == 503, body
            assert time.monotonic() - began < 5  # a probe gets its answer in time
            assert body["database"]["status"] == "down" and body["model"]["status"] == "up"
            assert body["error"] == {"code": "not_ready", "message": "not ready: database"}
            assert (await client.get("/healthz")).status == 200  # alive: restarting it would not help
            resp = await client.get("/metrics")  # still scraped, without what only the database knows
            assert resp.status == 200
            text = await resp.text()
            assert "kundresa_open_sockets" in text and 'kundresa_tickets{status="open"}' not in text
        finally:
            await asyncio.to_thread(_start, pg_cluster)
        body = await until_ready(client, 200)
        assert body["database"]["status"] == "up"
        assert 'kundresa_tickets{status="open"} 0.0' in await (await client.get("/metrics")).text()
