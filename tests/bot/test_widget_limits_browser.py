"""The widget's own rules in chromium against a scripted chat socket (no model, fast): errors in the
customer's language, a message refused for good comes back into the composer (no "Försök igen" that can never
work), a failed bubble does not survive a reload, "Försök igen" after a passing failure sends the same
message again, the server's limit from `status` is what the widget counts, a rating the server already
has shows as rated, and the launcher's shop settings (position, offsets, hidden on chosen steps)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.http.pages import assemble_widget
from tests.browser import chromium, needs_chromium

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.asyncio(loop_scope="module")]

STATIC = Path(__file__).resolve().parents[2] / "bot" / "static"
UI_MS = 20_000


class ScriptedChat:
    def __init__(self) -> None:
        self.received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.ws: web.WebSocketResponse | None = None

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        async for msg in ws:
            frame = msg.json()
            if frame.get("type") != "typing":  # the agent console's hint while the customer writes
                await self.received.put(frame)
        return ws

    async def send(self, *frames: dict[str, Any]) -> None:
        for _ in range(100):
            if self.ws is not None and not self.ws.closed:
                break
            await asyncio.sleep(0.05)
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
        attrs = request.query.get("attrs", 'data-open="true"')
        lang = request.query.get("lang", "sv")
        html = (
            '<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">'
            '<body style="height:3000px">'
            f'<script src="/widget.js" data-lang="{lang}" {attrs}></script>'
        )
        return web.Response(text=html, content_type="text/html")

    def static(name: str) -> Any:
        kind = "application/javascript" if name.endswith(".js") else "text/html"

        async def serve(request: web.Request) -> web.Response:
            if name == "widget.js":  # assembled from its modules, as the app serves it
                return web.Response(body=assemble_widget(), content_type=kind)
            return web.Response(text=(STATIC / name).read_text(encoding="utf-8"), content_type=kind)

        return serve

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_get("/widget.js", static("widget.js"))
    app.router.add_get("/demo/checkout", static("checkout.html"))
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


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


def status(**extra: Any) -> dict[str, Any]:
    frame = {"type": "status", "owner": "bot", "queue": None, "customer": None, "reply_email": None,
             "email_replies": False, "max_message_bytes": 4096, "seq": 0}  # fmt: skip
    return {**frame, **extra}


async def test_errors_are_localized_and_a_refused_message_comes_back(site: Any, browser: Any) -> None:
    base, chat = site
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(base, timeout=UI_MS)
        await chat.next("resume")
        # The server's limit is 100 bytes: the widget counts the same way (å is two bytes).
        await chat.send(status(max_message_bytes=100))
        await page.fill("#kundresa-input", "å" * 60)
        hint = page.locator("#kundresa-hint")
        await hint.wait_for(state="visible", timeout=UI_MS)
        assert "Korta det med ungefär 10 tecken" in await hint.inner_text()
        assert await page.get_attribute("#kundresa-input", "aria-invalid") == "true"
        await page.click("#kundresa-send")
        await asyncio.sleep(0.2)
        assert chat.received.empty()  # nothing sent
        assert await page.input_value("#kundresa-input") == "å" * 60

        # The server refuses one for good anyway: it comes back into the composer, no retry is offered,
        # and the error is in Swedish whatever the server's words.
        await chat.send(status(max_message_bytes=4096))
        await page.fill("#kundresa-input", "ett meddelande")
        await page.click("#kundresa-send")
        sent = await chat.next("message")
        assert await page.input_value("#kundresa-input") == ""
        await chat.send(
            {
                "type": "error",
                "code": "too_large",
                "message": "message over 4096 bytes",
                "id": sent["id"],
                "seq": 0,
            }
        )
        error = page.locator(".kundresa-msg[data-kind=error]").last
        await error.wait_for(timeout=UI_MS)
        assert "Meddelandet är för långt" in await error.inner_text()
        assert "bytes" not in await error.inner_text()
        await page.wait_for_function("() => !document.querySelector('.kundresa-msg[data-kind=message]')")
        assert await page.input_value("#kundresa-input") == "ett meddelande"
        assert await page.locator(".kundresa-inline-btn").count() == 0

        # A passing failure: "Försök igen" sends the same message again, and it goes through.
        await page.fill("#kundresa-input", "andra försöket")
        await page.click("#kundresa-send")
        sent = await chat.next("message")
        await chat.send(
            {"type": "error", "code": "rate_limited", "message": "too many", "id": sent["id"], "seq": 0}
        )
        failed = page.locator(".kundresa-msg[data-kind=message][data-status=failed]")
        await failed.wait_for(timeout=UI_MS)
        assert (
            "Vänta en liten stund" in await page.locator(".kundresa-msg[data-kind=error]").last.inner_text()
        )
        stored = json.loads(await page.evaluate("() => localStorage.getItem('kundresa.transcript')"))
        assert not any(i.get("status") == "failed" for i in stored)  # a failed bubble is not kept
        await failed.locator(".kundresa-inline-btn", has_text="Försök igen").click()
        again = await chat.next("message")
        assert again["id"] == sent["id"] and again["text"] == "andra försöket"
        await chat.send({"type": "ack", "id": sent["id"], "seq": 1})
        await page.locator(".kundresa-msg[data-kind=message][data-status=sent]").wait_for(timeout=UI_MS)

        # Failed again, then reloaded: the failed bubble is gone.
        await page.fill("#kundresa-input", "tredje")
        await page.click("#kundresa-send")
        sent = await chat.next("message")
        await chat.send({"type": "error", "code": "rate_limited", "message": "x", "id": sent["id"], "seq": 1})
        await page.locator(".kundresa-msg[data-status=failed]").wait_for(timeout=UI_MS)
        await page.reload(timeout=UI_MS)
        await chat.next("resume")
        await page.locator(".kundresa-msg[data-kind=message]").first.wait_for(timeout=UI_MS)
        assert await page.locator(".kundresa-msg[data-kind=message]").count() == 1
        assert await page.locator(".kundresa-msg[data-status=failed]").count() == 0

        # A rating the server already has (another device): the card shows it, no error bubble.
        errors_before = await page.locator(".kundresa-msg[data-kind=error]").count()
        await chat.send({"type": "csat_request", "ticket": 7, "seq": 2})
        card = page.locator(".kundresa-msg[data-kind=csat_request]")
        await card.wait_for(timeout=UI_MS)
        await card.locator(".kundresa-score[data-score='2']").click()
        assert (await chat.next("csat"))["score"] == 2
        await chat.send(
            {"type": "error", "code": "already_rated", "message": "rated", "ticket": 7, "score": 5, "seq": 2}
        )
        await page.wait_for_function(
            "() => document.querySelector('.kundresa-score[data-score=\"5\"]')"
            ".getAttribute('aria-pressed') === 'true'"
        )
        assert await page.locator(".kundresa-msg[data-kind=error]").count() == errors_before
        assert errors == []
    finally:
        await context.close()


async def test_english_errors(site: Any, browser: Any) -> None:
    base, chat = site
    context = await browser.new_context(viewport={"width": 375, "height": 700}, is_mobile=True)
    page = await context.new_page()
    try:
        await page.goto(f"{base}/?lang=en", timeout=UI_MS)
        await chat.next("resume")
        await page.fill("#kundresa-input", "ö" * 2100)  # 2100 characters, 4200 bytes
        hint = page.locator("#kundresa-hint")
        await hint.wait_for(state="visible", timeout=UI_MS)
        assert "too long" in await hint.inner_text() and "52 characters" in await hint.inner_text()
        await chat.send({"type": "error", "code": "rate_limited", "message": "x", "seq": 0})
        error = page.locator(".kundresa-msg[data-kind=error]").last
        await error.wait_for(timeout=UI_MS)
        assert "Wait a moment" in await error.inner_text()
    finally:
        await context.close()


async def test_launcher_position_offsets_and_hidden_steps(site: Any, browser: Any) -> None:
    base, _ = site
    context = await browser.new_context(
        viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    try:
        attrs = (
            'data-position="left" data-offset-x="12" data-offset-y="30" data-offset-y-mobile="90" '
            'data-hide-on-steps="receipt, confirm" data-context=\'{"step":"payment"}\''
        )
        await page.goto(f"{base}/?attrs={attrs}", timeout=UI_MS)
        launcher = page.locator("#kundresa-launcher")
        await launcher.wait_for(state="visible", timeout=UI_MS)
        box = await launcher.bounding_box()
        assert box is not None
        assert abs(box["x"] - 12) < 1  # left, 12 px in
        assert abs(700 - (box["y"] + box["height"]) - 90) < 1  # the phone's offset
        await page.evaluate("() => Kundresa.setContext({step: 'confirm'})")
        await launcher.wait_for(state="hidden", timeout=UI_MS)
        await page.evaluate("() => Kundresa.setContext({step: 'payment'})")
        await launcher.wait_for(state="visible", timeout=UI_MS)

        # A config object does the same, set before the script loads.
        page2 = await context.new_page()
        await page2.set_viewport_size({"width": 1280, "height": 800})
        await page2.add_init_script(
            "window.Kundresa = {launcher: {offsetX: 40, offsetY: 50, hideOnSteps: ['receipt']},"
            " context: {step: 'receipt'}}"
        )
        await page2.goto(f"{base}/?attrs=", timeout=UI_MS)
        await page2.wait_for_function("() => !!window.Kundresa && window.Kundresa._loaded")
        assert await page2.locator("#kundresa-launcher").is_hidden()
        await page2.evaluate("() => Kundresa.setContext({step: 'payment'})")
        await page2.locator("#kundresa-launcher").wait_for(state="visible", timeout=UI_MS)
        box = await page2.locator("#kundresa-launcher").bounding_box()
        assert box is not None and abs(1280 - (box["x"] + box["width"]) - 40) < 1
        assert abs(800 - (box["y"] + box["height"]) - 50) < 1
    finally:
        await context.close()


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_the_demo_checkout_launcher_leaves_slutfor_kop_free_on_a_phone(
    site: Any, browser: Any, lang: str
) -> None:
    base, _ = site
    context = await browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    try:
        await page.goto(f"{base}/demo/checkout?lang={lang}", timeout=UI_MS)
        launcher = page.locator("#kundresa-launcher")
        await launcher.wait_for(state="visible", timeout=UI_MS)
        buy = page.locator("button.buy")
        for scroll in (0, 400, 900, 1600, 5000):
            await page.evaluate(f"() => window.scrollTo(0, {scroll})")
            b, c = await buy.bounding_box(), await launcher.bounding_box()
            assert b is not None and c is not None
            overlap = not (c["x"] + c["width"] <= b["x"] or b["x"] + b["width"] <= c["x"]
                           or c["y"] + c["height"] <= b["y"] or b["y"] + b["height"] <= c["y"])  # fmt: skip
            assert not overlap, (scroll, b, c)
        # The button is what a tap at its centre hits, and it answers.
        await buy.click(timeout=UI_MS)
        await page.locator("#demo-note").wait_for(state="visible", timeout=UI_MS)
    finally:
        await context.close()
