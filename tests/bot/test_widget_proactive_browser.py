"""The proactive bubble and `checkout_idle`, in a real browser (Debian chromium) on the real app: the demo
checkout's "declined card" button sends `payment_failed` through `Kundresa.track`; the offer pops up by the
launcher in the customer's language, without covering "Slutför köp" on a phone; it opens into the article's
answer or is dismissed (also with Esc), the server records which, and after a reload it is not shown again.
The widget itself sends `checkout_idle` once after N quiet seconds on the payment step; filling in the
page's form is progress and holds it off."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.bot.jsapi_site import DESKTOP, PHONE, UI_MS, Site, new_page, serve, until, visitor_of
from tests.browser import chromium, needs_chromium

# The first test also waits for the session's demo database (embedding it takes minutes on a busy machine).
pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.timeout(900),
]
BUBBLE = ".kundresa-offer:not([hidden])"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    async with serve(demo_db_file, tmp_path_factory.mktemp("proactive-browser") / "kundresa.db") as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


async def test_a_declined_card_offers_help_that_opens_into_the_answer_in_english_on_a_desktop(
    site: Site, browser: Any
) -> None:
    errors: list[str] = []
    context, page = await new_page(browser, DESKTOP, errors)
    try:
        await page.goto(f"{site.url}/demo/checkout?lang=en", timeout=UI_MS)
        await page.get_by_role("button", name="Card declined").click()
        bubble = page.locator(BUBBLE)
        await bubble.wait_for(timeout=UI_MS)
        assert "Card declined – here is how to fix it" in await bubble.inner_text()
        assert await bubble.get_attribute("lang") == "en"
        # The demo page hears about it through Kundresa.on('offer').
        await page.wait_for_function(
            "() => document.getElementById('simulate-status').textContent.includes('Offer shown')",
            timeout=UI_MS,
        )
        box = await bubble.bounding_box()
        assert box is not None and box["x"] + box["width"] <= DESKTOP["width"]
        assert await page.locator("#kundresa-panel").is_hidden()

        await bubble.locator(".kundresa-offer-main").click()
        answer = page.locator(".kundresa-msg[data-kind=answer]").last
        await answer.wait_for(timeout=UI_MS)
        assert await answer.get_attribute("data-article") == "kort-nekas-en"
        assert await page.locator(BUBBLE).count() == 0
        # The offer stays in the panel, its "Show me" gone once used.
        offer_row = page.locator(".kundresa-msg[data-kind=proactive]")
        assert await offer_row.count() == 1 and await offer_row.locator(".kundresa-offer-show").count() == 0
        visitor = await visitor_of(page)
        offers = await until(lambda: _opened(site, visitor))
        assert offers and offers[0].rule_key == "card-declined" and offers[0].dismissed_at is None
        events = await site.events_of(visitor)
        assert [(e.name, e.reason, e.data.get("order_id")) for e in events] == [
            ("payment_failed", "card_declined", "NH-100234")
        ]

        # Handled: a reload shows the conversation, not the bubble again.
        await page.reload()
        await page.locator("#kundresa-launcher").wait_for(timeout=UI_MS)
        await page.wait_for_timeout(1000)
        assert await page.locator(BUBBLE).count() == 0
        assert errors == []
    finally:
        await context.close()


async def _opened(site: Site, visitor: str) -> list[Any]:
    return [o for o in await site.offers_of(visitor) if o.opened_at is not None]


async def test_on_a_phone_the_swedish_bubble_leaves_slutfor_kop_free_and_esc_dismisses_it_for_good(
    site: Site, browser: Any
) -> None:
    errors: list[str] = []
    context, page = await new_page(browser, PHONE, errors)
    try:
        await page.goto(f"{site.url}/demo/checkout", timeout=UI_MS)
        await page.get_by_role("button", name="Kortet nekas").click()
        bubble = page.locator(BUBBLE)
        await bubble.wait_for(timeout=UI_MS)
        assert "Kortet nekades – så här löser du det" in await bubble.inner_text()
        box, buy = await bubble.bounding_box(), await page.locator(".buy").bounding_box()
        launcher = await page.locator("#kundresa-launcher").bounding_box()
        assert box is not None and buy is not None and launcher is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        assert not overlaps(box, buy) and not overlaps(box, launcher), (box, buy, launcher)
        # Announced for screen readers, without taking the focus from the checkout.
        assert "Kortet nekades" in (await page.locator(".kundresa-root [aria-live=polite]").last.inner_text())
        assert await page.evaluate("() => !document.activeElement.closest('.kundresa-root')")

        # Keyboard: the bubble's buttons are focusable and named; Esc dismisses it and the focus goes on.
        await bubble.get_by_role("button", name="Nej tack, stäng").focus()
        await page.keyboard.press("Escape")
        await page.locator(BUBBLE).wait_for(state="detached", timeout=UI_MS)
        assert await page.evaluate("() => document.activeElement.id") == "kundresa-launcher"
        visitor = await visitor_of(page)
        offers = await until(lambda: _dismissed(site, visitor))
        assert offers and offers[0].opened_at is None

        await page.reload()
        await page.locator("#kundresa-launcher").wait_for(timeout=UI_MS)
        await page.wait_for_timeout(1000)
        assert await page.locator(BUBBLE).count() == 0
        # The panel still has the offer, and opening it there is still possible.
        await page.click("#kundresa-launcher")
        row = page.locator(".kundresa-msg[data-kind=proactive]")
        await row.wait_for(timeout=UI_MS)
        await row.get_by_role("button", name="Visa hur").click()
        answer = page.locator(".kundresa-msg[data-kind=answer]").last
        await answer.wait_for(timeout=UI_MS)
        assert await answer.get_attribute("data-article") == "kort-nekas"
        assert errors == []
    finally:
        await context.close()


async def _dismissed(site: Site, visitor: str) -> list[Any]:
    return [o for o in await site.offers_of(visitor) if o.dismissed_at is not None]


async def test_checkout_idle_is_sent_once_after_quiet_seconds_and_not_while_the_customer_fills_in(
    site: Site, browser: Any
) -> None:
    errors: list[str] = []
    context, page = await new_page(browser, DESKTOP, errors)
    try:
        await page.goto(f"{site.url}/demo/checkout?idle_seconds=1.5", timeout=UI_MS)
        await page.locator("#kundresa-launcher").wait_for(timeout=UI_MS)
        # Choosing payment methods is progress: no idle event while it goes on.
        for method in ["swish", "invoice", "card", "swish", "installments", "card"]:
            await page.check(f"input[value={method}]")
            await page.wait_for_timeout(400)
        visitor = await visitor_of(page)
        assert [e.name for e in await site.events_of(visitor)] == []
        # Then nothing happens: one checkout_idle, with the seconds, and only one.
        events = await until(lambda: site.events_of(visitor))
        assert [(e.name, e.data) for e in events] == [("checkout_idle", {"seconds": 1.5})]
        assert events[0].context.get("step") == "payment"
        await page.wait_for_timeout(2500)
        assert len(await site.events_of(visitor)) == 1
        # Nothing for the customer to see: no bubble (no rule for it), no error in the chat.
        assert await page.locator(BUBBLE).count() == 0
        assert await page.locator(".kundresa-msg").count() == 0
        assert errors == []
    finally:
        await context.close()


async def test_each_demo_button_offers_its_rules_help_in_english_on_a_phone(site: Site, browser: Any) -> None:
    errors: list[str] = []
    context, page = await new_page(browser, PHONE, errors)
    try:
        await page.goto(f"{site.url}/demo/checkout?lang=en", timeout=UI_MS)
        await page.locator("#kundresa-launcher").wait_for(timeout=UI_MS)
        seen = []
        for button, title in [
            ("Card declined", "Card declined – here is how to fix it"),
            ("Swish times out", "Trouble with Swish – here is what to do"),
            ("Invoice rejected", "Invoice not approved – other ways to pay"),
        ]:
            await page.get_by_role("button", name=button).click()
            bubble = page.locator(f"{BUBBLE}:has-text('{title}')")
            await bubble.wait_for(timeout=UI_MS)
            seen.append(title)
            await bubble.get_by_role("button", name="No thanks, close").click()
        visitor = await visitor_of(page)
        offers = await site.offers_of(visitor)
        assert [o.rule_key for o in offers] == ["card-declined", "swish-problem", "invoice-rejected"]
        events = await site.events_of(visitor)
        assert [e.reason for e in events] == ["card_declined", "swish_timeout", "invoice_rejected"]
        assert errors == []
    finally:
        await context.close()
