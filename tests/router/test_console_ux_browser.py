"""`/agent` in Debian Chromium, issue 14: the article that answered is per ticket, reasons are in the
agent's language, transfer offers the configured teams, the note checkbox resets, `?` lists shortcuts,
`/` finds canned replies, notifications and the tab title tell about new work, the customer's typing and
name show, a returning customer's earlier contacts are beside the ticket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.channels.webchat import sign_user
from config import Settings
from tests.browser import ARGS, CHROMIUM, needs_chromium

WAIT = 90_000  # ms; the machine may be loaded
UNANSWERABLE = "Kan jag betala med bitcoin eller annan kryptovaluta hos er?"
ANSWERABLE = "Hur betalar jag med Swish?"

pytestmark = [pytest.mark.browser, needs_chromium]

# A stand-in for the Notification API: granted, and every notification recorded for the test to read.
FAKE_NOTIFICATIONS = """
window.__notes = [];
class FakeNotification {
  constructor(title, opts) { window.__notes.push({ title, body: (opts || {}).body }); }
  close() {}
  static requestPermission() { FakeNotification.permission = 'granted'; return Promise.resolve('granted'); }
}
FakeNotification.permission = 'default';
window.Notification = FakeNotification;
"""


@pytest.fixture
async def server(make_settings: Callable[..., Settings]) -> AsyncIterator[tuple[str, web.Application]]:
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


async def _user(app: web.Application, name: str, role: str = "agent", **kw: Any) -> str:
    from infra.app_keys import SESSIONS
    from router.auth import create_user

    async with app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, name, role, **kw)
    return token


async def _until(ws: Any, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=60)
        if match(frame):
            return frame


async def _human(http: aiohttp.ClientSession, base: str, visitor: str, **params: str) -> tuple[Any, int]:
    """A customer asks the bot something it cannot answer, then for a person; (socket, ticket)."""
    ws = await http.ws_connect(f"{base.replace('http', 'ws')}/ws/chat", params={"visitor": visitor, **params})
    await ws.send_json({"type": "message", "id": "m1", "text": UNANSWERABLE})
    await ws.send_json({"type": "human"})
    frame = await _until(ws, lambda f: f["type"] == "handoff" and bool(f.get("ticket")))
    return ws, int(frame["ticket"])


async def _not_helpful(http: aiohttp.ClientSession, base: str, visitor: str) -> tuple[Any, int]:
    """A customer gets an answer and says it did not help: a handoff with the reason not_helpful."""
    ws = await http.ws_connect(f"{base.replace('http', 'ws')}/ws/chat", params={"visitor": visitor})
    await ws.send_json({"type": "message", "id": "m1", "text": ANSWERABLE})
    await _until(ws, lambda f: f["type"] == "answer")
    await ws.send_json({"type": "feedback", "helpful": False})
    frame = await _until(ws, lambda f: f["type"] == "handoff" and bool(f.get("ticket")))
    return ws, int(frame["ticket"])


async def test_console_ux(server: tuple[str, web.Application]) -> None:
    from playwright.async_api import async_playwright, expect

    base, app = server
    token = await _user(app, "agnes")
    await _user(app, "lisa", team="logistics")
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as http, async_playwright() as p:
        resp = await http.post(
            f"{base}/api/canned",
            json={"title": "Retur", "body": "Du har 30 dagars öppet köp."},
            headers=headers,
        )
        assert resp.status == 201
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            ctx = await browser.new_context()
            await ctx.add_init_script(FAKE_NOTIFICATIONS)
            page = await ctx.new_page()
            page.set_default_timeout(WAIT)
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

            await page.goto(f"{base}/agent")
            await page.fill("#agent-token", token)
            await page.click("#agent-login")
            await expect(page.locator("#agent-conn")).to_have_attribute("data-state", "online")
            # Notifications are asked for on a click; then a new ticket while the page is not in front
            # notifies, and the tab title counts what is unread.
            await page.click("#agent-notify")
            await expect(page.locator("#agent-notify")).to_have_attribute("aria-pressed", "true")
            await page.evaluate("document.hasFocus = () => false")

            first, first_id = await _not_helpful(http, base, "ux-1")
            item = page.locator(f"#agent-queue .queue-item[data-ticket='{first_id}']")
            await item.wait_for()
            await page.wait_for_function("window.__notes.length > 0")
            notes = await page.evaluate("window.__notes")
            assert notes[0]["title"].startswith(f"Nytt ärende #{first_id}")
            await page.evaluate("document.hasFocus = () => true")

            # Reasons in the agent's language; an article picked here stays with this ticket only.
            await item.click()
            await expect(page.locator("#agent-bot-reason")).to_contain_text("Svaret hjälpte inte")
            await expect(page.locator("#agent-bot-reason")).not_to_contain_text("not_helpful")
            await page.select_option("#agent-resolve-article", "presentkort")
            second, second_id = await _human(
                http, base, "ux-2", user="shop-42", sig=sign_user("shop-42", "test-identity-secret")
            )
            other = page.locator(f"#agent-queue .queue-item[data-ticket='{second_id}']")
            await expect(other).to_contain_text("shop-42")  # a verified customer by their id, not "Kund #"
            await other.click()
            await expect(page.locator("#agent-ticket-title")).to_contain_text(f"#{second_id}")
            await expect(page.locator("#agent-resolve-article")).to_have_value("")
            await page.locator(f".queue-item[data-ticket='{first_id}']").click()
            await expect(page.locator("#agent-ticket-title")).to_contain_text(f"#{first_id}")
            await expect(page.locator("#agent-resolve-article")).to_have_value("")

            # The customer's typing shows on their open ticket.
            await first.send_json({"type": "typing"})
            await expect(page.locator("#agent-customer-typing")).to_be_visible()
            await expect(page.locator("#agent-customer-typing")).to_have_text("Kunden skriver…")

            # Claim; `/` finds a canned reply; a note resets the checkbox after sending.
            await page.click("#agent-claim")
            await expect(page.locator(f"#agent-mine .queue-item[data-ticket='{first_id}']")).to_be_visible()
            await page.fill("#agent-reply", "")
            await page.type("#agent-reply", "/ret")
            await expect(page.locator("#agent-slash")).to_be_visible()
            await expect(page.locator("#agent-slash [role=option]").first).to_contain_text("Retur")
            await page.press("#agent-reply", "Enter")
            await expect(page.locator("#agent-reply")).to_have_value("Du har 30 dagars öppet köp.")
            await page.fill("#agent-reply", "")
            await page.check("#agent-internal")
            await page.fill("#agent-reply", "Intern: kolla ordern")
            await page.press("#agent-reply", "Enter")
            await expect(page.locator("#agent-timeline .tl-internal")).to_contain_text("Intern: kolla ordern")
            await expect(page.locator("#agent-internal")).not_to_be_checked()
            await expect(page.locator("#agent-send")).to_have_text("Skicka")

            # A customer message on one of my tickets while I look at another: unread in the title.
            await page.locator(f".queue-item[data-ticket='{second_id}']").click()
            await expect(page.locator("#agent-ticket-title")).to_contain_text(f"#{second_id}")
            await first.send_json({"type": "message", "id": "m9", "text": "Hallå?"})
            await expect(page).to_have_title("(1) Kundresa · Agentkonsol")

            # `?` lists the shortcuts; j moves to the next ticket.
            await page.locator("#agent-timeline").focus()
            await page.keyboard.press("?")
            await expect(page.locator("#agent-shortcuts")).to_be_visible()
            await expect(page.locator("#agent-shortcut-list")).to_contain_text("Nästa ärende")
            await page.keyboard.press("Escape")
            await expect(page.locator("#agent-shortcuts")).to_be_hidden()
            await page.keyboard.press("j")
            await expect(page.locator("#agent-ticket-title")).not_to_contain_text(f"#{second_id}")

            # Transfer offers the configured teams (not free text) and moves the ticket away from me.
            await page.locator(f".queue-item[data-ticket='{first_id}']").click()
            options = await page.locator("#agent-transfer-team option").all_text_contents()
            assert {"logistics", "b2b"} <= set(options)
            await page.select_option("#agent-transfer-team", "logistics")
            await expect(page.locator("#agent-transfer-agent option")).to_contain_text(["lisa (borta)"])
            await page.click("#agent-transfer")
            await expect(page.locator("#agent-action-notice")).to_contain_text("logistics")
            await expect(page.locator(f"#agent-mine .queue-item[data-ticket='{first_id}']")).to_have_count(0)
            await expect(page.locator(f"#agent-queue .queue-item[data-ticket='{first_id}']")).to_be_visible()
            assert problems == []
            await first.close()
            await second.close()
        finally:
            await browser.close()


async def test_returning_customer_history_and_presence(server: tuple[str, web.Application]) -> None:
    """A verified customer's earlier ticket, its rating and last contact show beside a new one; going
    available takes the queued ticket at once."""
    from playwright.async_api import async_playwright, expect

    base, app = server
    token = await _user(app, "agnes")
    headers = {"Authorization": f"Bearer {token}"}
    who = {"user": "shop-7", "sig": sign_user("shop-7", "test-identity-secret")}
    async with aiohttp.ClientSession() as http, async_playwright() as p:
        ws, first = await _human(http, base, "hist-a", **who)
        assert (
            await http.post(f"{base}/api/tickets/{first}/resolve", json={}, headers=headers)
        ).status == 200
        await ws.send_json({"type": "csat", "score": 5})
        for _ in range(200):  # the rating is stored
            resp = await http.get(f"{base}/api/tickets/{first}", headers=headers)
            if (await resp.json())["csat"] == 5:
                break
            await asyncio.sleep(0.05)
        assert (await http.post(f"{base}/api/tickets/{first}/close", headers=headers)).status == 200
        await ws.close()
        ws, second = await _human(http, base, "hist-b", **who)
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = await browser.new_page()
            page.set_default_timeout(WAIT)
            await page.goto(f"{base}/agent")
            await page.fill("#agent-token", token)
            await page.click("#agent-login")
            await expect(page.locator("#agent-conn")).to_have_attribute("data-state", "online")
            await page.click("#agent-presence")  # available: the queued ticket is mine at once
            await expect(page.locator(f"#agent-mine .queue-item[data-ticket='{second}']")).to_be_visible()
            await page.locator(f"#agent-mine .queue-item[data-ticket='{second}']").click()
            section = page.locator("#agent-history-section")
            await expect(section).to_be_visible()
            await expect(page.locator(f"#agent-history li[data-ticket='{first}']")).to_contain_text(
                "Betyg 5/5"
            )
            await expect(page.locator("#agent-history-summary")).to_contain_text("Senaste kontakt")
            await expect(page.locator("#agent-history-summary")).to_contain_text("5/5")
            # On a phone (375 px) nothing runs off the side: the header's buttons wrap, the queue fits.
            await page.set_viewport_size({"width": 375, "height": 740})
            await page.wait_for_function("() => document.documentElement.scrollWidth <= 375")
            await ws.close()
        finally:
            await browser.close()
