"""The widget's JavaScript API in a real browser (Debian chromium) on the real app, driven through the
runnable example page `/demo/api`: calls queued before the widget loads, `on`/`off` for every event,
`setUser`/`logout` without a reload, `setLocale` (the widget's texts and the server's language),
`setContext`, `showLauncher`/`hideLauncher` and `setLauncher`. Desktop (1280 px) and phone (375 px)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.channels.webchat import sign_user
from infra.app_keys import SESSIONS, SETTINGS
from router.auth import create_user
from router.models import Ticket
from router.web import ROUTER
from tests.bot.jsapi_site import (
    DESKTOP,
    IDENTITY_SECRET,
    PHONE,
    UI_MS,
    Site,
    new_page,
    serve,
    until,
    visitor_of,
)
from tests.browser import chromium, needs_chromium

# The first test also waits for the session's demo database (embedding it takes minutes on a busy machine).
pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(900),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with serve(demo_db_file, tmp_path_factory.mktemp("api-browser") / "kundresa.db") as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


async def logged(page: Any) -> list[tuple[str, Any]]:
    """The example page's event log: (event, detail) in order."""
    items = await page.eval_on_selector_all(
        "#log li",
        "lis => lis.map(li => [li.dataset.event, li.textContent.slice(li.dataset.event.length + 1)])",
    )
    return [(name, json.loads(detail)) for name, detail in items]


async def wait_logged(page: Any, name: str, count: int = 1) -> list[Any]:
    await page.wait_for_function(
        "([n, c]) => document.querySelectorAll(`#log li[data-event=${n}]`).length >= c",
        arg=[name, count],
        timeout=UI_MS,
    )
    return [d for n, d in await logged(page) if n == name]


async def open_example(browser: Any, site: Site, viewport: dict[str, int], errors: list[str]) -> Any:
    context, page = await new_page(browser, viewport, errors)
    await page.goto(f"{site.url}/demo/api", timeout=UI_MS)
    await page.locator("#kundresa-launcher").wait_for(timeout=UI_MS)
    return context, page


async def test_calls_queued_before_load_run_in_order_and_ready_is_heard(site: Site, browser: Any) -> None:
    errors: list[str] = []
    context, page = await open_example(browser, site, DESKTOP, errors)
    try:
        # The page queued its listeners and a `page_view` event before the widget had loaded.
        ready = await wait_logged(page, "ready")
        assert ready == [{"lang": "en", "open": False}]
        visitor = await visitor_of(page)
        events = await until(lambda: site.events_of(visitor))
        assert [(e.name, e.data) for e in events] == [("page_view", {"path": "/demo/api"})]
        # A listener added after `ready` still hears it (once).
        await page.evaluate("() => { window.lateReady = 0; Kundresa.on('ready', () => window.lateReady++); }")
        await page.wait_for_function("() => window.lateReady === 1", timeout=UI_MS)
        # A bad event name is refused in the page (the console says why); nothing reaches the customer.
        assert await page.evaluate("() => Kundresa.track('Bad Name!', {})") is False
        assert await page.locator(".kundresa-msg").count() == 0
        assert errors == []
    finally:
        await context.close()


async def test_on_and_off_hear_every_event_of_the_chat(site: Site, browser: Any) -> None:
    errors: list[str] = []
    context, page = await open_example(browser, site, DESKTOP, errors)
    try:
        await wait_logged(page, "ready")
        await page.get_by_role("button", name="open()").click()
        await page.get_by_role("button", name="close()").click()
        await wait_logged(page, "close")
        # A declined card: the offer, opened from the bubble, answers with the article.
        await page.get_by_role("button", name="payment_failed · card_declined").click()
        offer = (await wait_logged(page, "offer"))[0]
        assert offer["action"] == "shown" and offer["rule"] == "card-declined"
        assert await wait_logged(page, "unread") == [{"count": 1}]  # the offer, while the panel is closed
        await page.locator(".kundresa-offer-main").click()
        answer = (await wait_logged(page, "answer"))[0]
        assert answer["article"]["slug"] == "kort-nekas-en" and answer["text"]
        assert [d["action"] for d in await wait_logged(page, "offer", 2)] == ["shown", "opened"]
        assert [n for n, _ in await logged(page) if n in ("open", "close")] == ["open", "close", "open"]

        # The customer writes: `message`; asks for a person: `handoff` with the ticket.
        await page.fill("#kundresa-input", "Kortet fungerar inte")
        await page.keyboard.press("Enter")
        message = (await wait_logged(page, "message"))[0]
        assert message["text"] == "Kortet fungerar inte" and message["id"].startswith("c-")
        await page.evaluate("() => Kundresa.human()")
        handoff = (await wait_logged(page, "handoff"))[0]
        ticket = handoff["ticket"]
        assert isinstance(ticket, int)

        # Off: no more `open`/`close` lines; an agent's reply while the panel is closed is still heard
        # after listening again, with the unread count.
        await page.get_by_role("button", name="Stop listening (off)").click()
        await page.get_by_role("button", name="close()").click()
        await page.get_by_role("button", name="open()").click()
        await page.get_by_role("button", name="close()").click()
        assert [n for n, _ in await logged(page) if n in ("open", "close")] == ["open", "close", "open"]
        await page.get_by_role("button", name="Listen again (on)").click()
        async with site.app[SESSIONS]() as session, session.begin():
            agent, _ = await create_user(session, "agnes", "agent")
            assert await session.get(Ticket, ticket) is not None
        await site.app[ROUTER].tickets.claim(ticket, agent.id)
        await site.app[ROUTER].tickets.reply(ticket, agent.id, "Hej! Prova **ett annat kort**.")
        reply = (await wait_logged(page, "agent_message"))[0]
        assert reply == {"text": "Hej! Prova **ett annat kort**.", "agent": "agnes"}
        unread = await wait_logged(page, "unread", 3)
        assert unread[-1]["count"] >= 1
        assert errors == []
    finally:
        await context.close()


async def test_set_user_and_logout_switch_identity_without_a_reload(site: Site, browser: Any) -> None:
    errors: list[str] = []
    context, page = await open_example(browser, site, PHONE, errors)
    try:
        await page.evaluate("() => { window.sameDocument = true; Kundresa.open(); }")
        await page.fill("#kundresa-input", "Hej, var är min order?")
        await page.keyboard.press("Enter")
        await page.locator(".kundresa-msg[data-kind=message][data-status=sent]").wait_for(timeout=UI_MS)
        visitor = await visitor_of(page)
        anonymous = await until(lambda: site.customer_of(visitor))

        # Signing in: the socket reconnects as the verified user; the anonymous chat is theirs now.
        user = {"id": "u-anna", "sig": sign_user("u-anna", IDENTITY_SECRET), "name": "Anna"}
        await page.evaluate("(u) => Kundresa.setUser(u)", user)
        verified = await until(lambda: site.customer_of("u-anna", kind="web_user"))
        assert verified is not None
        assert await until(lambda: _same(site, visitor, verified))
        assert "Hej, var är min order?" in await page.locator("#kundresa-messages").inner_text()
        assert await page.evaluate("() => localStorage.getItem('kundresa.user')") == "u-anna"

        # Signing out: the conversation is forgotten here and the chat goes on as a new visitor.
        await page.evaluate("() => Kundresa.logout()")
        assert await page.locator(".kundresa-msg").count() == 0
        assert await page.evaluate("() => localStorage.getItem('kundresa.user')") is None
        fresh = await visitor_of(page)
        assert fresh != visitor
        await page.fill("#kundresa-input", "Hej igen")
        await page.keyboard.press("Enter")
        await page.locator(".kundresa-msg[data-kind=message][data-status=sent]").wait_for(timeout=UI_MS)
        stranger = await until(lambda: site.customer_of(fresh))
        assert stranger not in (None, verified, anonymous)
        assert "var är min order" not in await page.locator("#kundresa-messages").inner_text()
        assert await page.evaluate("() => window.sameDocument === true")  # no reload happened
        assert errors == []
    finally:
        await context.close()


async def _same(site: Site, visitor: str, customer: int) -> bool:
    return await site.customer_of(visitor) == customer


async def test_set_locale_and_set_context_change_the_widget_and_what_the_server_hears(
    site: Site, browser: Any
) -> None:
    errors: list[str] = []
    context, page = await open_example(browser, site, PHONE, errors)
    try:
        await page.evaluate("() => Kundresa.open()")
        assert (await page.locator("#kundresa-title").inner_text()).strip() == "Support"
        await page.fill("#kundresa-input", "ett utkast")
        await page.evaluate("() => Kundresa.setLocale('sv')")
        assert (await page.locator("#kundresa-title").inner_text()).strip() == "Kundtjänst"
        assert await page.get_attribute("#kundresa-input", "placeholder") == "Skriv din fråga…"
        assert await page.get_attribute("#kundresa-panel", "lang") == "sv"
        assert await page.input_value("#kundresa-input") == "ett utkast"  # the draft survives
        assert await page.evaluate("() => Kundresa.lang") == "sv"
        await page.evaluate("() => Kundresa.close()")

        # The server hears the new context and language: the event has the step, the offer is Swedish.
        await page.evaluate("() => Kundresa.setContext({step: 'payment', order_id: 'NH-200001'})")
        await page.evaluate("() => Kundresa.track('payment_failed', {reason: 'card_declined'})")
        bubble = page.locator(".kundresa-offer:not([hidden])")
        await bubble.wait_for(timeout=UI_MS)
        assert "Kortet nekades" in await bubble.inner_text()
        events = await site.events_of(await visitor_of(page))
        assert events[-1].context == {"step": "payment", "order_id": "NH-200001"}
        assert errors == []
    finally:
        await context.close()


async def corner(launcher: Any) -> tuple[int, int, int]:
    """The launcher's left and right edges and its bottom, as laid out (60 px square; a hover scales it)."""
    cx, cy = await launcher.evaluate(
        "n => { const r = n.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; }"
    )
    return (round(cx - 30), round(cx + 30), round(cy + 30))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_the_launcher_hides_shows_and_moves(site: Site, browser: Any, viewport: dict[str, int]) -> None:
    errors: list[str] = []
    context, page = await open_example(browser, site, viewport, errors)
    try:
        launcher = page.locator("#kundresa-launcher")
        assert (await corner(launcher))[1:] == (viewport["width"] - 20, viewport["height"] - 20)
        await page.get_by_role("button", name="hideLauncher()").click()
        await launcher.wait_for(state="hidden", timeout=UI_MS)
        await page.evaluate("() => Kundresa.open()")  # the shop's own button still opens the chat
        await page.locator("#kundresa-panel").wait_for(state="visible", timeout=UI_MS)
        await page.evaluate("() => Kundresa.close()")
        await page.get_by_role("button", name="showLauncher()").click()
        await launcher.wait_for(state="visible", timeout=UI_MS)

        await page.evaluate("() => Kundresa.setLauncher({position: 'left', offsetX: 30, offsetY: 100})")
        assert (await corner(launcher))[::2] == (30, viewport["height"] - 100)
        if viewport is DESKTOP:  # the panel opens on the same side
            await launcher.click()
            panel = await page.locator("#kundresa-panel").bounding_box()
            assert panel is not None and panel["x"] == 30
        # Nonsense is ignored, not applied.
        await page.evaluate("() => Kundresa.close()")
        await page.evaluate("() => Kundresa.setLauncher({offsetX: -5, offsetY: 'far'})")
        assert (await corner(launcher))[::2] == (30, viewport["height"] - 100)
        assert errors == []
    finally:
        await context.close()


async def test_the_example_page_signs_two_demo_users_in_demo_mode_only(site: Site, browser: Any) -> None:
    errors: list[str] = []
    context, page = await new_page(browser, DESKTOP, errors)
    try:
        await page.goto(f"{site.url}/demo/api", timeout=UI_MS)
        assert await page.text_content("#demo-users") == "[]"  # not demo mode: the shop's server signs
        assert await page.get_by_role("button", name="setUser(Anna)").is_disabled()
        site.app[SETTINGS].demo = True
        try:
            await page.goto(f"{site.url}/demo/api", timeout=UI_MS)
            users = json.loads(await page.text_content("#demo-users") or "[]")
        finally:
            site.app[SETTINGS].demo = False
        assert [u["id"] for u in users] == ["demo-anna", "demo-bo"]
        assert users[0]["sig"] == sign_user("demo-anna", IDENTITY_SECRET)
        await page.locator("#kundresa-launcher").wait_for(timeout=UI_MS)
        await page.get_by_role("button", name="setUser(Anna)").click()
        assert await page.evaluate("() => localStorage.getItem('kundresa.user')") == "demo-anna"
        assert errors == []
    finally:
        await context.close()


async def test_a_set_user_queued_in_the_snippet_keeps_the_conversation_over_reloads(
    site: Site, browser: Any
) -> None:
    errors: list[str] = []
    context, page = await new_page(browser, DESKTOP, errors)
    user = {"id": "u-bo", "sig": sign_user("u-bo", IDENTITY_SECRET), "name": "Bo"}
    # As a shop's page does on every page view: the snippet, then `Kundresa.setUser` before the widget loads.
    await context.add_init_script(f"window.Kundresa = {{q: [['setUser', {json.dumps(user)}]]}};")
    try:
        await page.goto(f"{site.url}/demo/api", timeout=UI_MS)
        await page.locator("#kundresa-launcher").wait_for(timeout=UI_MS)
        await page.evaluate("() => Kundresa.open()")
        await page.fill("#kundresa-input", "Bo här, en fråga om frakt")
        await page.keyboard.press("Enter")
        await page.locator(".kundresa-msg[data-kind=message][data-status=sent]").wait_for(timeout=UI_MS)
        assert await until(lambda: site.customer_of("u-bo", kind="web_user"))
        visitor = await visitor_of(page)
        await page.reload()
        await page.locator("#kundresa-launcher").wait_for(timeout=UI_MS)
        # The same browser's storage, not wiped as another user's would be (and shown without a round trip).
        assert await visitor_of(page) == visitor
        await page.evaluate("() => Kundresa.open()")
        assert "Bo här, en fråga om frakt" in await page.locator("#kundresa-messages").inner_text()
        assert await page.evaluate("() => localStorage.getItem('kundresa.user')") == "u-bo"
        assert errors == []
    finally:
        await context.close()
