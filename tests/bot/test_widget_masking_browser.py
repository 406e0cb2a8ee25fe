"""Masking where the customer sees it: the widget's own bubble and its localStorage keep the masked text.

The server masks a card number before it stores the message; its ack carries the stored form and the
widget replaces what was typed, on screen and in the copy it keeps (chromium + playwright, real app).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.app import create_app
from config import load_settings
from tests.browser import chromium, needs_chromium

UI_MS = 20_000
CARD = "4111 1111 1111 1111"
TYPED = f"Mitt kort {CARD} nekas, varför?"

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def base_url(tmp_path_factory: pytest.TempPathFactory, demo_db_file: Path) -> AsyncIterator[str]:
    """The real app on a copy of the prepared demo database, on a free loopback port."""
    db = tmp_path_factory.mktemp("masking-browser") / "kundresa.db"
    with (
        contextlib.closing(sqlite3.connect(demo_db_file)) as src,
        contextlib.closing(sqlite3.connect(db)) as dst,
    ):
        src.backup(dst)
    settings = load_settings(
        environ={},
        database={"url": f"sqlite+aiosqlite:///{db}"},
        demo=False,
        model={"worker": "thread"},
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


def has_card(text: str) -> bool:
    """Whether the card number is in `text`, whatever separates its digits."""
    return "4111111111111111" in re.sub(r"\D", "", text)


async def stored(page: Any) -> str:
    """Everything the widget keeps in localStorage, as one string."""
    return str(
        await page.evaluate(
            "() => Object.keys(localStorage).map((k) => k + '=' + localStorage.getItem(k)).join('\\n')"
        )
    )


async def test_a_typed_card_number_is_shown_and_kept_masked(base_url: str, browser: Any) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="sv-SE")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(f"{base_url}/demo/checkout", timeout=UI_MS)
        await page.click("#kundresa-launcher")
        await page.wait_for_selector("#kundresa-input", state="visible", timeout=UI_MS)
        await page.fill("#kundresa-input", TYPED)
        await page.click("#kundresa-send")
        sent = page.locator(".kundresa-msg[data-kind=message][data-status=sent]")
        await sent.first.wait_for(timeout=UI_MS)  # acked: stored, masked, on the server

        bubble = await sent.first.locator(".kundresa-bubble").inner_text()
        assert not has_card(bubble), bubble
        assert "1111" in bubble and "nekas" in bubble, bubble  # the masked form: last four digits kept
        kept = await stored(page)
        assert "nekas" in kept, kept  # the message is in the stored transcript…
        assert not has_card(kept), kept  # …masked

        await page.reload()  # what the widget shows from its stored copy
        await page.click("#kundresa-launcher")
        mine = page.locator(".kundresa-msg[data-kind=message]")
        await mine.first.wait_for(timeout=UI_MS)
        again = await mine.first.inner_text()
        assert "nekas" in again and not has_card(again), again
        assert errors == []
    finally:
        await context.close()
