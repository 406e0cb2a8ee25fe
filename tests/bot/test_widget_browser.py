"""The widget in a real browser: Debian's chromium driven by playwright against the real app on loopback.

Never downloads a browser: without /usr/bin/chromium the module is skipped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.app import create_app
from config import load_settings
from tests.browser import chromium, needs_chromium

ANSWER_MS = 90_000  # the first answer may take a while on a loaded 2-core machine
UI_MS = 20_000

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.asyncio(loop_scope="module"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def base_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The real app (demo KB) listening on a free loopback port."""
    db = tmp_path_factory.mktemp("browser") / "kundresa.db"
    settings = load_settings(
        environ={},
        database={"url": f"sqlite+aiosqlite:///{db}"},
        demo=False,
        chat={"identity_secret": "test-identity-secret"},
    )
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


async def open_widget(page: Any) -> None:
    await page.click("#kundresa-launcher")
    await page.wait_for_selector("#kundresa-panel", state="visible", timeout=UI_MS)
    await page.wait_for_selector("#kundresa-input", state="visible", timeout=UI_MS)


async def ask(page: Any, text: str) -> None:
    await page.fill("#kundresa-input", text)
    await page.click("#kundresa-send")


async def test_ask_hand_off_and_keep_history(base_url: str, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(f"{base_url}/demo/checkout", timeout=UI_MS)
        await open_widget(page)

        await ask(page, "Kan jag betala med Swish?")
        mine = page.locator(".kundresa-msg[data-kind=message]")
        await mine.first.wait_for(timeout=UI_MS)
        assert "Kan jag betala med Swish?" in await mine.first.inner_text()
        answer = page.locator(".kundresa-msg[data-kind=answer]")
        await answer.first.wait_for(timeout=ANSWER_MS)
        assert await answer.first.get_attribute("data-article") == "swish-betalning"
        assert "swish" in (await answer.first.inner_text()).lower()
        # The customer's message was acked (stored).
        await page.wait_for_selector(".kundresa-msg[data-kind=message][data-status=sent]", timeout=UI_MS)

        await page.click("#kundresa-human")
        handoff = page.locator(".kundresa-msg[data-kind=handoff]")
        await handoff.first.wait_for(timeout=ANSWER_MS)
        assert (await handoff.first.get_attribute("data-ticket") or "").isdigit()

        # Reload: the widget shows the conversation again.
        await page.reload(timeout=UI_MS)
        await open_widget(page)
        for kind in ("message", "answer", "handoff"):
            await page.locator(f".kundresa-msg[data-kind={kind}]").first.wait_for(timeout=UI_MS)
        assert await page.locator(".kundresa-msg[data-kind=answer]").count() == 1  # not duplicated

        # Without the browser's cached transcript (same visitor id), the server replays the history.
        forget = "() => ['kundresa.transcript', 'kundresa.seq'].forEach((k) => localStorage.removeItem(k))"
        await page.evaluate(forget)
        await page.reload(timeout=UI_MS)
        await open_widget(page)
        await page.locator(".kundresa-msg[data-kind=handoff]").first.wait_for(timeout=ANSWER_MS)
        texts = await page.locator("#kundresa-messages").inner_text()
        assert "Kan jag betala med Swish?" in texts
        assert (
            await page.locator(".kundresa-msg[data-kind=answer][data-article=swish-betalning]").count() == 1
        )
        assert await page.locator(".kundresa-msg[data-kind=message]").count() == 1
        assert errors == []
    finally:
        await context.close()


async def test_panel_fits_a_phone(base_url: str, browser: Any) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        reduced_motion="reduce",  # measure the panel where it rests, not mid-animation
    )
    page = await context.new_page()
    try:
        await page.goto(f"{base_url}/demo/checkout", timeout=UI_MS)
        launcher = await page.wait_for_selector("#kundresa-launcher", state="visible", timeout=UI_MS)
        box = await launcher.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
        await open_widget(page)
        for selector in ("#kundresa-panel", "#kundresa-input", "#kundresa-send", "#kundresa-human"):
            box = await page.locator(selector).bounding_box()
            assert box is not None, selector
            assert box["x"] >= -0.5 and box["y"] >= -0.5, (selector, box)
            assert box["x"] + box["width"] <= 390.5, (selector, box)
            assert box["y"] + box["height"] <= 844.5, (selector, box)
        # No sideways scrolling on the page with the panel open.
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390
    finally:
        await context.close()


async def test_an_over_long_message_is_kept_and_explained_not_sent(base_url: str, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(f"{base_url}/demo/checkout", timeout=UI_MS)
        await open_widget(page)
        # 1400 characters but 4200 bytes: over the server's 4096, counted the same way by the widget.
        await ask(page, "€" * 1400)
        hint = page.locator("#kundresa-hint")
        await hint.wait_for(state="visible", timeout=UI_MS)
        assert "för långt" in await hint.inner_text()
        assert await page.input_value("#kundresa-input") == "€" * 1400  # the typed text is kept
        assert await page.locator(".kundresa-msg[data-kind=message]").count() == 0  # nothing was sent
        # The chat still works afterwards.
        await ask(page, "Kan jag betala med faktura?")
        await page.locator(".kundresa-msg[data-kind=answer]").first.wait_for(timeout=ANSWER_MS)
    finally:
        await context.close()
