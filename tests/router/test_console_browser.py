"""`/agent` in Debian Chromium: a handoff appears live, the agent answers; the customer's widget shows the
agent typing, then the reply."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiohttp import web

from config import Settings
from tests.browser import ARGS, CHROMIUM, needs_chromium

WAIT = 90_000  # ms; the machine may be loaded
QUESTION = "Kan jag betala med bitcoin eller annan kryptovaluta hos er? <b>nu</b>"
REPLY = "Nej, bara kort, Swish och faktura."

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


@pytest.fixture
async def server(make_settings: Callable[..., Settings]) -> AsyncIterator[tuple[str, web.Application]]:
    """The real app on 127.0.0.1, on a free port."""
    from bot.app import create_app

    app = create_app(make_settings())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await runner.cleanup()


async def _agent_token(app: web.Application) -> str:
    from infra.app_keys import SESSIONS
    from router.auth import create_user

    async with app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "agnes", "agent")
    return token


async def test_agent_answers_a_live_handoff(server: tuple[str, web.Application]) -> None:
    from playwright.async_api import async_playwright, expect

    base, app = server
    token = await _agent_token(app)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            agent_ctx = await browser.new_context()
            customer_ctx = await browser.new_context()
            agent, customer = await agent_ctx.new_page(), await customer_ctx.new_page()
            for page in (agent, customer):
                page.set_default_timeout(WAIT)
            problems: list[str] = []
            agent.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status > 399 else None)
            agent.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            agent.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

            # Page A: the agent logs in; the console goes live.
            await agent.goto(f"{base}/agent")
            await expect(agent.locator("#agent-login")).to_have_text("Logga in")  # Swedish by default
            await agent.fill("#agent-token", token)
            await agent.click("#agent-login")
            await expect(agent.locator("#agent-conn")).to_have_attribute("data-state", "online", timeout=WAIT)
            await expect(agent.locator("#agent-presence")).to_be_visible()
            await agent.evaluate("window.__noReload = true")

            # Page B: a customer at the checkout asks, then asks for a person.
            await customer.goto(f"{base}/demo/checkout")
            await customer.click("#kundresa-launcher")
            await customer.fill("#kundresa-input", QUESTION)
            await customer.press("#kundresa-input", "Enter")
            await customer.locator(".kundresa-msg[data-kind=message]").first.wait_for()
            await customer.click("#kundresa-human")
            handoff = customer.locator(".kundresa-msg[data-kind=handoff][data-ticket]").last
            await handoff.wait_for(timeout=WAIT)
            ticket_id = await handoff.get_attribute("data-ticket")
            assert ticket_id

            # Page A: the ticket appears in the queue without a reload.
            item = agent.locator(f"#agent-queue .queue-item[data-ticket='{ticket_id}']")
            await item.wait_for(timeout=WAIT)
            assert await agent.evaluate("window.__noReload === true")
            await expect(item).to_contain_text("<b>nu</b>")  # customer text stays text
            assert await item.locator("b").count() == 0
            await expect(item.locator(".badge.pay")).to_be_visible()  # stuck at the payment step

            await item.click()
            await expect(agent.locator("#agent-timeline .tl-msg[data-kind=message]").first).to_contain_text(
                "bitcoin"
            )
            await expect(agent.locator("#agent-timeline .tl-msg[data-kind=handoff]")).not_to_have_count(0)
            await expect(agent.locator("#agent-context")).to_contain_text("payment")
            await agent.click("#agent-claim")
            selector = f".queue-item[data-ticket='{ticket_id}']"
            await expect(agent.locator(f"#agent-mine {selector}")).to_be_visible()
            await expect(agent.locator(f"#agent-queue {selector}")).to_have_count(0)
            # The claim's answer has come back (it says so, and puts the cursor in the reply box).
            await expect(agent.locator("#agent-action-notice")).to_have_text("Ärendet är ditt.")
            # Typed key by key as an agent writes (each keystroke an `input` event), into the reply box.
            await agent.locator("#agent-reply").press_sequentially(REPLY, delay=10)
            await expect(agent.locator("#agent-reply")).to_have_value(REPLY)
            # Page B: while the agent writes, the widget says so (an ephemeral frame, nothing stored).
            typing = customer.locator(".kundresa-typing")
            await expect(typing).to_be_visible(timeout=WAIT)
            await expect(typing).to_contain_text("Kundtjänst skriver")
            await agent.click("#agent-send")
            await expect(
                agent.locator("#agent-timeline .tl-msg[data-kind=agent_message]").last
            ).to_contain_text(REPLY)
            await expect(agent.locator("#agent-reply")).to_have_value("")

            # Page B: the widget shows the agent's reply.
            reply = customer.locator(".kundresa-msg[data-kind=agent_message]").last
            await expect(reply).to_contain_text(REPLY, timeout=WAIT)

            # An internal note shows on the console, marked, and never reaches the customer.
            await agent.check("#agent-internal")
            await agent.fill("#agent-reply", "Intern: kolla betalningen")
            await agent.press("#agent-reply", "Enter")
            note = agent.locator("#agent-timeline .tl-msg.tl-internal[data-kind=note]")
            await expect(note).to_contain_text("Intern: kolla betalningen")
            await expect(customer.locator(".kundresa-msg", has_text="Intern: kolla")).to_have_count(0)

            # Language toggle switches the UI to English.
            await agent.click("#agent-lang")
            await expect(agent.locator("#agent-resolve")).to_have_text("Resolve")
            assert problems == []
        finally:
            await browser.close()
