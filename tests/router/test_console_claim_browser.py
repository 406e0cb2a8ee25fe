"""`/agent` in Debian Chromium: claiming a ticket another agent took a moment ago (in another process,
whose event has not arrived yet) shows the server's 409 message, and the ticket stays theirs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web
from sqlalchemy import update

from config import Settings
from tests.browser import ARGS, CHROMIUM, needs_chromium

WAIT = 90_000  # ms; the machine may be loaded

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture
async def server(make_settings: Callable[..., Settings]) -> AsyncIterator[tuple[str, web.Application]]:
    """The real app on 127.0.0.1 (no knowledge base: nothing here asks the bot)."""
    from bot.app import create_app

    app = create_app(make_settings(server={"load_demo_kb": False}))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await runner.cleanup()


async def test_a_claim_someone_else_won_shows_the_409_message(server: tuple[str, web.Application]) -> None:
    from playwright.async_api import async_playwright, expect

    from infra.app_keys import SESSIONS
    from router.auth import create_user
    from router.identity import Evidence
    from router.models import Ticket
    from router.web import ROUTER

    base, app = server
    async with app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "agnes", "agent")
        bo, _ = await create_user(session, "bo", "agent")
    router = app[ROUTER]
    _, conv_id = await router.identify([Evidence("web_visitor", "claim-race", False)])
    ticket, _, _ = await router.tickets.handoff(
        conv_id, reason="asked_for_human", question=None, attempts=[], tags=[]
    )

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = await (await browser.new_context()).new_page()
            page.set_default_timeout(WAIT)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{base}/agent")
            await page.fill("#agent-token", token)
            await page.click("#agent-login")
            await expect(page.locator("#agent-conn")).to_have_attribute("data-state", "online")
            item = page.locator(f"#agent-queue .queue-item[data-ticket='{ticket.id}']")
            await item.click()
            await expect(page.locator("#agent-claim")).to_be_enabled()

            # Bo took it through another process: the row changed, the event is still on its way.
            async with app[SESSIONS]() as session, session.begin():
                await session.execute(
                    update(Ticket).where(Ticket.id == ticket.id).values(assignee_id=bo.id, status="assigned")
                )
            await page.click("#agent-claim")
            notice = page.locator("#agent-action-notice")
            await expect(notice).to_be_visible()
            await expect(notice).to_contain_text("bo")
            await expect(notice).to_contain_text(str(ticket.id))
            await expect(page.locator(f"#agent-mine .queue-item[data-ticket='{ticket.id}']")).to_have_count(0)
            assert errors == []
        finally:
            await browser.close()
    async with app[SESSIONS]() as session:
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None and stored.assignee_id == bo.id
