"""The widget in chromium against a scripted chat socket: frames out of order, late, past a gap, replayed.

The server side is a few lines of aiohttp that send exactly the frames each step names, so the widget's
own rules are what is tested: it shows stored frames in seq order, never drops one it has not shown (the
old widget dropped any frame at or below the highest seq seen, and an ack raised that too), follows `prev`
over seqs that hold nothing for it, resumes from a gap, and shows nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.http.pages import assemble_widget
from tests.browser import chromium, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.asyncio(loop_scope="module")]

WIDGET = assemble_widget().decode("utf-8")
UI_MS = 20_000


class ScriptedChat:
    """`/ws/chat` that records what the widget sends and sends what the test says."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ws: web.WebSocketResponse | None = None
        self.connected = asyncio.Event()

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        self.connected.set()
        async for msg in ws:
            await self.received.put(msg.json())
        return ws

    async def send(self, *frames: dict[str, Any]) -> None:
        assert self.ws is not None
        for frame in frames:
            await self.ws.send_json(frame)

    async def next(self, kind: str) -> dict[str, Any]:
        while True:
            frame = await asyncio.wait_for(self.received.get(), 10)
            if frame["type"] == kind:
                return frame


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site() -> AsyncIterator[tuple[str, ScriptedChat]]:
    chat = ScriptedChat()

    async def page(request: web.Request) -> web.Response:
        base = f"http://{request.host}"
        html = (
            f'<!doctype html><body><script src="/widget.js" data-server="{base}" data-open="true"></script>'
        )
        return web.Response(text=html, content_type="text/html")

    async def widget(request: web.Request) -> web.Response:
        return web.Response(text=WIDGET, content_type="application/javascript")

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/widget.js", widget)
    app.router.add_get("/ws/chat", chat.handler)
    runner = web.AppRunner(app)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", chat
    finally:
        await runner.cleanup()


def reply(seq: int, **extra: Any) -> dict[str, Any]:
    return {"type": "agent_message", "text": f"Svar {seq}", "agent": "Agnes", "seq": seq, **extra}


async def shown(page: Any) -> list[int]:
    return list(
        await page.evaluate(
            "() => Array.from(document.querySelectorAll('#kundresa-messages .kundresa-msg[data-seq]'))"
            ".map((e) => Number(e.dataset.seq))"
        )
    )


async def wait_shown(page: Any, expected: list[int]) -> None:
    for _ in range(100):
        if await shown(page) == expected:
            return
        await asyncio.sleep(0.05)
    assert await shown(page) == expected


async def seq_state(page: Any) -> list[Any]:
    return list(
        await page.evaluate("() => [Kundresa._state.lastSeq, Array.from(Kundresa._state.ahead.keys())]")
    )


async def test_out_of_order_late_and_gapped_frames_are_all_shown_in_order(
    site: tuple[str, ScriptedChat],
) -> None:
    base, chat = site
    async with chromium() as browser:  # skips the test when playwright is missing
        page = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(base, timeout=UI_MS)
        assert (await chat.next("resume"))["after"] == 0

        # Out of order: 3 before 1 and 2. The old widget dropped 1 and 2 (at or below 3).
        await chat.send(reply(3), reply(1), reply(2))
        await wait_shown(page, [1, 2, 3])
        assert await seq_state(page) == [3, []]

        # Seq 4 is an internal note: 5 says the frame before it was 3.
        await chat.send(reply(5, prev=3))
        await wait_shown(page, [1, 2, 3, 5])
        assert await seq_state(page) == [5, []]

        # An ack that comes before an earlier reply no longer hides that reply.
        await page.evaluate("() => Kundresa.send('hej')")
        message = await chat.next("message")
        await chat.send({"type": "ack", "id": message["id"], "seq": 7})
        await wait_shown(page, [1, 2, 3, 5, 7])
        assert await seq_state(page) == [5, [7]]
        await chat.send(reply(6))
        await wait_shown(page, [1, 2, 3, 5, 6, 7])  # in its place, before the message
        assert await seq_state(page) == [7, []]

        # A gap nobody fills: the widget asks for it again (resume from the gap), shows it in its place
        # and the replayed frames it has shown already are not shown twice.
        await chat.send(reply(9))
        await wait_shown(page, [1, 2, 3, 5, 6, 7, 9])
        assert (await chat.next("resume"))["after"] == 7
        await chat.send(reply(8), reply(9))
        await wait_shown(page, [1, 2, 3, 5, 6, 7, 8, 9])
        assert await seq_state(page) == [9, []]

        # Reload: the transcript comes back from the browser's cache, the resume starts after 9, and a
        # replay of everything shows nothing twice.
        chat.connected.clear()
        await page.reload(timeout=UI_MS)
        assert (await chat.next("resume"))["after"] == 9
        await chat.send(*(reply(s) for s in (1, 2, 3, 5, 6)), reply(8), reply(9))
        await asyncio.sleep(0.5)
        await wait_shown(page, [1, 2, 3, 5, 6, 7, 8, 9])
        assert await page.locator(".kundresa-msg[data-kind=message]").count() == 1  # "hej", once
        assert errors == []


async def test_the_agents_typing_hint_stays_when_they_join_and_goes_with_their_reply(
    site: tuple[str, ScriptedChat],
) -> None:
    """The console's first typing frame can overtake the status that says the agent joined: the 'joined'
    divider is not what they were typing, so the hint stays (it used to vanish until the next hint, 3 s
    of typing later); their reply takes its place."""
    playwright = pytest.importorskip("playwright.async_api")  # its `expect`
    base, chat = site
    async with chromium() as browser:
        page = await browser.new_page()
        await page.goto(base, timeout=UI_MS)
        await chat.next("resume")
        typing = page.locator(".kundresa-typing")
        queue = {"ticket": 1, "status": "open", "position": 1, "wait_minutes": None, "agents_online": 1}
        await chat.send({"type": "status", "owner": "agent", "queue": {**queue, "agent": None}, "seq": 0})
        await chat.send({"type": "typing", "who": "agent", "seq": 0})
        await playwright.expect(typing).to_be_visible()
        assigned = {**queue, "status": "assigned", "position": None, "agent": "Agnes"}
        await chat.send({"type": "status", "owner": "agent", "queue": assigned, "seq": 0})
        await playwright.expect(page.locator(".kundresa-msg[data-kind=joined]")).to_have_count(1)
        await asyncio.sleep(0.3)
        await playwright.expect(typing).to_be_visible()
        await chat.send(reply(1))
        await playwright.expect(typing).to_be_hidden()
