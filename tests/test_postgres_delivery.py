"""Replies stored by two real `kundresa serve` processes on one PostgreSQL reach the customer in seq order.

The customer's socket is on process A; an agent sends 30 replies at once, half through A's and half through
B's `POST /api/tickets/{id}/messages`. B's replies reach A through LISTEN/NOTIFY (`router.pg_events`), a few
milliseconds after A's own: before the web chat sent each socket's frames strictly by seq, 8-10 of the 30
arrived out of order, and the widget dropped them. Both processes start once for the module.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from config import DatabaseSettings
from infra.db import create_engine, create_sessionmaker
from router.auth import create_user
from tests.browser import ARGS, CHROMIUM, needs_chromium

pytestmark = pytest.mark.postgres

REPLIES = 30
TIMEOUT = 60  # seconds for the frames to come (two servers and a browser on a busy 2-core machine)


def _in_thread(coro: Any) -> Any:
    """Run a coroutine on a loop of its own (module fixtures are built outside any test's loop)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _agent_token(url: str) -> str:
    engine = create_engine(DatabaseSettings(url=url))
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            _, token = await create_user(session, "agnes", "agent")
        return token
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def deployment(
    pg_cluster: Any, pg_kb_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """Processes A and B on one database of their own (the demo knowledge base), and an agent's token."""
    from tests.servers import ServeProcess

    name = _in_thread(pg_cluster.create_database(template=pg_kb_template))
    url = pg_cluster.url(name)
    logs: Path = tmp_path_factory.mktemp("delivery")
    servers = [ServeProcess({"database__url": url}, logs, name=n).start() for n in ("a", "b")]
    try:
        for server in servers:
            server.wait_ready()
        yield servers[0], servers[1], {"Authorization": f"Bearer {_in_thread(_agent_token(url))}"}
    finally:
        for server in servers:
            server.close()
        _in_thread(pg_cluster.drop_database(name))


async def _reply_in_parallel(
    http: aiohttp.ClientSession, a: Any, b: Any, agent: dict[str, str], ticket: int
) -> list[str]:
    """Claim the ticket, then send the replies all at once, every other one through B."""
    async with http.post(f"{a.url}/api/tickets/{ticket}/claim", headers=agent) as resp:
        assert resp.status == 200, await resp.text()
    texts = [f"Svar {i:02d} från agenten" for i in range(1, REPLIES + 1)]

    async def post(i: int, text: str) -> int:
        server = a if i % 2 == 0 else b
        async with http.post(
            f"{server.url}/api/tickets/{ticket}/messages", json={"text": text}, headers=agent
        ) as resp:
            body = await resp.json()
            assert resp.status == 201, body
            return int(body["seq"])

    seqs = await asyncio.gather(*(post(i, t) for i, t in enumerate(texts)))
    assert len(set(seqs)) == REPLIES
    return texts


def out_of_order(seqs: list[int]) -> int:
    """How many frames came after one with a higher seq."""
    count, top = 0, 0
    for seq in seqs:
        if seq < top:
            count += 1
        top = max(top, seq)
    return count


async def test_parallel_replies_through_two_processes_reach_the_socket_in_seq_order(deployment: Any) -> None:
    a, b, agent = deployment
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(a.ws_url, params={"visitor": f"pg-order-{uuid.uuid4().hex[:8]}"})
        await ws.send_json({"type": "message", "id": "m1", "text": "jag vill prata med en människa"})
        frames: list[dict[str, Any]] = []
        while not any(f["type"] == "handoff" for f in frames):
            frames.append(await ws.receive_json(timeout=TIMEOUT))
        ticket = next(f["ticket"] for f in frames if f["type"] == "handoff")

        texts = await _reply_in_parallel(http, a, b, agent, ticket)
        replies: list[dict[str, Any]] = []
        while len(replies) < REPLIES:
            frame = await ws.receive_json(timeout=TIMEOUT)
            frames.append(frame)
            if frame["type"] == "agent_message":
                replies.append(frame)
        await ws.close()

    stored = [f for f in frames if f["type"] not in ("typing", "error")]
    seqs = [f["seq"] for f in stored]
    print(f"\nout of order: {out_of_order([f['seq'] for f in replies])} of {REPLIES}")
    assert out_of_order(seqs) == 0, seqs
    assert seqs == list(range(1, len(seqs) + 1))  # nothing missing, nothing twice
    assert sorted(f["text"] for f in replies) == texts
    assert all(f["agent"] == "agnes" for f in replies)


@pytest.mark.browser
@needs_chromium
async def test_the_widget_shows_all_parallel_replies_in_order(deployment: Any) -> None:
    playwright = pytest.importorskip("playwright.async_api")
    a, b, agent = deployment
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = await browser.new_page(locale="sv-SE")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{a.url}/demo/checkout", timeout=TIMEOUT * 1000)
            await page.click("#kundresa-launcher")
            await page.wait_for_selector("#kundresa-human", state="visible", timeout=TIMEOUT * 1000)
            await page.click("#kundresa-human")
            handoff = page.locator(".kundresa-msg[data-kind=handoff]")
            await handoff.first.wait_for(timeout=TIMEOUT * 1000)
            ticket = int(await handoff.first.get_attribute("data-ticket") or "0")

            async with aiohttp.ClientSession() as http:
                texts = await _reply_in_parallel(http, a, b, agent, ticket)
            rows = page.locator(".kundresa-msg[data-kind=agent_message]")
            await page.wait_for_function(
                f"document.querySelectorAll('.kundresa-msg[data-kind=agent_message]').length >= {REPLIES}",
                timeout=TIMEOUT * 1000,
            )
            shown = [
                (int(await rows.nth(i).get_attribute("data-seq") or "0"), await rows.nth(i).inner_text())
                for i in range(await rows.count())
            ]
            assert len(shown) == REPLIES
            assert [s for s, _ in shown] == sorted(s for s, _ in shown)  # in seq order on the page
            assert sorted(t for t in texts if any(t in text for _, text in shown)) == texts
            # Everything shown is accounted for: no gap left to resume from.
            state = await page.evaluate(
                "() => [window.Kundresa._state.lastSeq, window.Kundresa._state.ahead.size]"
            )
            assert state == [shown[-1][0], 0]
            assert errors == []
        finally:
            await browser.close()
