"""Demo mode is visible (issue 13): both consoles show a banner, in the console's language, in Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from config import Settings
from tests.browser import ARGS, CHROMIUM, needs_chromium

WAIT = 90_000  # ms; the machine may be loaded

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
async def demo_server(settings: Settings, make_settings: Callable[..., Settings]) -> AsyncIterator[str]:
    """The real app in demo mode (no secret configured, as `make run`), on 127.0.0.1."""
    from bot.app import create_app

    runner = web.AppRunner(create_app(make_settings(demo=True, chat={"identity_secret": None})))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_both_consoles_show_the_demo_banner(demo_server: str) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(WAIT)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{demo_server}/agent")
            banner = page.locator("#kundresa-demo-banner")
            await expect(banner).to_be_visible()  # before logging in: whoever set it up sees it
            await expect(banner).to_contain_text("Demoläge")
            await expect(banner).to_have_attribute("role", "status")
            await page.click("#agent-lang")
            await expect(banner).to_contain_text("Demo mode")
            await page.goto(f"{demo_server}/admin")
            await expect(page.locator("#kundresa-demo-banner")).to_contain_text("Demo")
            assert await page.locator("#kundresa-demo-banner").count() == 1
            assert errors == []
        finally:
            await browser.close()
