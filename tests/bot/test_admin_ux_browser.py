"""`/admin` in Debian Chromium, issue 14: publishing (button and Ctrl+S) and restoring ask first; "try a
question" labels the answer and clarify thresholds on its scale; an import's result shows once and its
errors are in the admin's language."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from config import Settings
from tests.browser import ARGS, CHROMIUM, needs_chromium

WAIT = 60_000

pytestmark = [pytest.mark.browser, needs_chromium]


async def _count(items: list[str], n: int) -> None:
    """Until `items` has n entries (a dialog is handled on the event loop, a moment after the click)."""
    for _ in range(600):
        if len(items) >= n:
            break
        await asyncio.sleep(0.05)
    assert len(items) == n, items


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[tuple[str, web.Application]]:
    from bot.app import create_app

    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await runner.cleanup()


async def test_admin_asks_first_labels_thresholds_and_speaks_swedish(
    server: tuple[str, web.Application], make_settings: Callable[..., Settings]
) -> None:
    from playwright.async_api import async_playwright, expect

    from infra.app_keys import SESSIONS
    from router.auth import create_user
    from router.web import KB

    base, app = server
    async with app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "ada", "admin")
    kb = app[KB]
    before = (await kb.get("presentkort"))["version"]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = await (await browser.new_context(viewport={"width": 1366, "height": 900})).new_page()
            page.set_default_timeout(WAIT)
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            dialogs: list[str] = []
            answer = {"accept": False}

            async def on_dialog(dialog: Any) -> None:
                dialogs.append(dialog.message)
                await (dialog.accept() if answer["accept"] else dialog.dismiss())

            page.on("dialog", on_dialog)
            await page.goto(f"{base}/admin")
            await page.fill("#admin-token", token)
            await page.click("#admin-login")
            await page.fill("#article-search", "presentkort")
            await page.click("#article-list .article-item[data-slug='presentkort']")
            await expect(page.locator("#editor-title")).not_to_have_value("")

            # Publish asks first: dismissed, nothing is saved; accepted, a new version.
            await page.fill("#editor-body", "Presentkort gäller i 3 år.")
            await page.click("#editor-publish")
            await _count(dialogs, 1)
            assert "Publicera" in dialogs[0]
            assert (await kb.get("presentkort"))["version"] == before
            answer["accept"] = True
            await page.locator("#editor-body").press("Control+s")  # Ctrl+S on a published article too
            await _count(dialogs, 2)
            await expect(page.locator("#editor-version")).to_have_text(f"version {before + 1}")
            assert (await kb.get("presentkort"))["body"] == "Presentkort gäller i 3 år."

            # Restoring a version asks first too.
            answer["accept"] = False
            await page.locator(f"#history .version-item[data-version='{before}']").click()
            await page.click("#history-restore")
            await _count(dialogs, 3)
            assert f"version {before}" in dialogs[2]
            assert (await kb.get("presentkort"))["version"] == before + 1

            # "Try a question": the clarify and answer thresholds are labelled on the scale.
            await page.click("#tab-try")
            await page.fill("#try-input", "Hur länge gäller ett presentkort?")
            await page.click("#try-run")
            await expect(page.locator(".confbar-tag.tag-answer")).to_contain_text("svarar ≥")
            await expect(page.locator(".confbar-tag.tag-clarify")).to_contain_text(
                "frågar vad kunden menar ≥"
            )
            await expect(page.locator(".try-searched")).to_have_count(0)  # nothing to put right
            # A misspelt question: the admin sees what was searched ("lange" is a word too: it stays).
            await page.fill("#try-input", "Hur lange galler ett presentkrot?")
            await page.click("#try-run")
            await expect(page.locator(".try-searched")).to_contain_text(
                "sökt som: ”Hur lange gäller ett presentkort?”"
            )

            # Import: the result once; a bad file in Swedish, with the English detail apart.
            await page.click("#tab-io")
            good = {"slug": "importerad", "title": "Importerad artikel", "body": "Hej", "status": "draft"}
            await page.set_input_files(
                "#import-file",
                files=[
                    {
                        "name": "kb.jsonl",
                        "mimeType": "application/x-ndjson",
                        "buffer": json.dumps(good).encode(),
                    }
                ],
            )
            await page.click("#import-run")
            await expect(page.locator("#import-report details[data-kind=created]")).to_contain_text(
                "importerad"
            )
            shown = page.locator("#view-io").get_by_text("Klart: 1 nya")  # not twice (the status line too)
            await expect(shown).to_have_count(1)
            await expect(page.locator("#import-status")).to_have_text("")
            await page.set_input_files(
                "#import-file",
                files=[{"name": "trasig.jsonl", "mimeType": "application/x-ndjson", "buffer": b"{"}],
            )
            await page.click("#import-run")
            await expect(page.locator("#import-error")).to_have_text(
                "Filen trasig.jsonl har ett fel på rad 1. Inget importerades."
            )
            await expect(page.locator("#import-report details.technical")).to_contain_text("not valid JSON")
            await page.set_input_files(
                "#import-file",
                files=[{"name": "kb.txt", "mimeType": "text/plain", "buffer": b"hej"}],
            )
            await page.click("#import-run")
            await expect(page.locator("#import-error")).to_contain_text("Okänt filformat")
            assert problems == []
        finally:
            await browser.close()
