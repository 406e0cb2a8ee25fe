"""The admin console's Audit view (bot/static/admin/audit.js) in Debian Chromium against the real app:
entries of real admin actions, newest first, in Swedish and English; a filter; "show more" pages; other
tabs hide it; a hostile value is shown as text. Never downloads a browser: skipped without chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from bot.app import create_app
from config import load_settings
from router.privacy import audit
from tests.browser import chromium, needs_chromium

WAIT = 60_000
HOSTILE = '<img src=x onerror="window.__pwned=1">'

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, web.Application, str]]:
    from infra.app_keys import SESSIONS
    from router.auth import create_user

    db = tmp_path_factory.mktemp("audit-browser") / "kundresa.db"
    settings = load_settings(
        environ={},
        model={"worker": "thread"},
        database={"url": f"sqlite+aiosqlite:///{db}"},
        demo=False,
        chat={"identity_secret": "test-identity-secret"},
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    async with app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "ada", "admin")
    try:
        yield f"http://{host}:{port}", app, token
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


async def test_audit_view(server: tuple[str, web.Application, str], browser: Any) -> None:
    from playwright.async_api import expect

    from infra.app_keys import SESSIONS

    base, app, token = server
    # 55 old entries (one with a hostile target), then real admin actions through the API.
    for i in range(55):
        target = HOSTILE if i == 0 else f"gammal-{i}"
        await audit.log(app[SESSIONS], audit.Actor("bo"), "article.update", "article", target)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(base, headers=headers) as http:
        resp = await http.post("/api/users", json={"name": "cecilia", "role": "agent"})
        user_id = (await resp.json())["id"]
        assert (await http.patch(f"/api/users/{user_id}", json={"team": "payments"})).status == 200

    problems: list[str] = []
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(WAIT)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    await page.goto(f"{base}/admin")
    await page.fill("#admin-token", token)
    await page.click("#admin-login")
    await expect(page.locator("#article-list .article-item").first).to_be_visible()

    await expect(page.locator("#tab-audit")).to_have_text("Granskningslogg")
    await page.click("#tab-audit")
    await expect(page.locator("#view-audit")).to_be_visible()
    await expect(page.locator("#view-articles")).to_be_hidden()
    await expect(page.locator("#tab-audit")).to_have_attribute("aria-selected", "true")
    rows = page.locator("#audit-body tr")
    await expect(rows).to_have_count(50)  # one page
    await expect(rows.nth(0)).to_contain_text("Användare ändrad")
    await expect(rows.nth(0)).to_contain_text("ada")
    await expect(rows.nth(0)).to_contain_text(f"användare {user_id}")
    await expect(rows.nth(0)).to_contain_text('ändrat: ["team"]')
    await expect(rows.nth(1)).to_contain_text("Användare skapad")
    await page.click("#audit-more")
    await expect(rows).to_have_count(57)
    await expect(page.locator("#audit-more")).to_be_hidden()
    await expect(rows.nth(56)).to_contain_text(HOSTILE)  # as text
    assert await page.evaluate("typeof window.__pwned") == "undefined"

    # A filter; then English.
    await page.select_option("#audit-action", "user.create")
    await page.click("#audit-show")
    await expect(rows).to_have_count(1)
    await expect(rows.nth(0)).to_contain_text("Användare skapad")
    await page.click("#admin-lang")
    await expect(page.locator("#tab-audit")).to_have_text("Audit log")
    await expect(rows.nth(0)).to_contain_text("User created")
    await expect(rows.nth(0)).to_contain_text("role: agent")
    await expect(page.locator("#audit-table thead")).to_contain_text("Who")
    await page.fill("#audit-actor", "nobody")
    await page.click("#audit-show")
    await expect(page.locator("#audit-empty")).to_have_text("No entries match.")

    # Another tab hides the audit view; coming back shows it again.
    await page.click("#tab-gaps")
    await expect(page.locator("#view-gaps")).to_be_visible()
    await expect(page.locator("#view-audit")).to_be_hidden()
    await expect(page.locator("#tab-audit")).to_have_attribute("aria-selected", "false")
    await page.click("#tab-audit")
    await expect(page.locator("#view-gaps")).to_be_hidden()
    await expect(page.locator("#view-audit")).to_be_visible()
    assert problems == []
    await context.close()
