"""The admin page's "Proaktiv hjälp" and "Rotorsaker" views in Debian Chromium against the real app:
an admin saves a rule, sees the outcome table, switches tabs and language, and turns a group of
Swedish and English unanswered questions into a draft article with one click."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.app import create_app
from tests.browser import ARGS, CHROMIUM, needs_chromium
from tests.router.shop_helpers import copy_db, shop_settings

WAIT = 60_000
SAME_NEED = ["Har ni en fysisk butik jag kan besöka?", "Do you have a physical store I can visit?"]

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(
    demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, web.Application, str]]:
    from infra.app_keys import SESSIONS
    from router.auth import create_user

    db = tmp_path_factory.mktemp("insights-browser") / "kundresa.db"
    copy_db(demo_db_file, db)
    app = create_app(shop_settings(db))
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
async def page(server: tuple[str, web.Application, str]) -> AsyncIterator[Any]:
    playwright = pytest.importorskip("playwright.async_api")
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1366, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(WAIT)
            page.on("dialog", lambda dialog: dialog.accept())
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.problems = problems
            yield page
        finally:
            await browser.close()


async def login(page: Any, base: str, token: str) -> None:
    from playwright.async_api import expect

    await page.goto(f"{base}/admin")
    await page.fill("#admin-token", token)
    await page.click("#admin-login")
    await expect(page.locator("#article-list .article-item").first).to_be_visible()


async def test_rules_view_saves_a_rule(server: tuple[str, web.Application, str], page: Any) -> None:
    from playwright.async_api import expect

    base, _, token = server
    await login(page, base, token)
    await page.click("#tab-rules")
    await expect(page.locator("#view-rules h2")).to_have_text("Proaktiv hjälp vid händelser i butiken")
    await expect(page.locator("#view-rules table").last).to_contain_text("card-declined")
    await page.fill("#rule-key", "cart-help")
    await page.fill("#rule-event", "cart_abandoned")
    await page.fill("#rule-message-sv", "Behöver du hjälp med varukorgen?")
    await page.click("#rule-form button[type=submit]")
    await expect(page.locator("#view-rules")).to_contain_text("cart-help")
    # Another tab hides this view; the language switch reaches it.
    await page.click("#tab-articles")
    await expect(page.locator("#view-rules")).to_be_hidden()
    await page.click("#admin-lang")
    await expect(page.locator("#tab-rules")).to_have_text("Proactive help")
    await page.click("#admin-lang")
    assert page.problems == []


async def test_root_causes_view_turns_a_group_into_a_draft(
    server: tuple[str, web.Application, str], page: Any
) -> None:
    from playwright.async_api import expect

    from router.web import KB

    base, app, _ = server
    for question in SAME_NEED:
        await app[KB].record_gap(question, "no_answer", channel="web")
    await page.goto(f"{base}/admin")  # logged in already (the token is kept in sessionStorage)
    await expect(page.locator("#article-list .article-item").first).to_be_visible()
    await page.click("#tab-insights")
    await expect(page.locator("#view-insights h2")).to_have_text("Rotorsaker")
    group = page.locator("#insights-unanswered li.card", has_text="fysisk butik")
    await expect(group).to_contain_text("physical store")
    await group.locator("button").click()
    await expect(page.locator("#admin-toast")).to_contain_text("Utkastet")
    await expect(page.locator("#insights-unanswered")).not_to_contain_text("fysisk butik")
    await page.click("#tab-articles")
    await expect(page.locator("#view-insights")).to_be_hidden()
    await expect(page.locator("#article-list")).to_contain_text("Har ni en fysisk butik")
    assert page.problems == []
