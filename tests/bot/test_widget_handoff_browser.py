"""After a handoff, in a real browser (Debian chromium) on the real app: the customer sees that a person will
answer here, their place in the queue as it changes and an honest wait, who joined, Markdown replies, the
resolved divider and a rating card that stays rated on a second device; 👍/👎 answer once, in the widget's
language; a reply to a customer who left reaches them by email, and its link reopens the conversation.
Swedish and English; desktop (1280 px) and phone (375 px)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from sqlalchemy import select

from bot.app import create_app
from bot.channels.webchat import sign_user
from config import load_settings
from infra.app_keys import SESSIONS
from router.auth import create_user
from router.models import ChannelIdentity, Conversation, Ticket
from router.web import ROUTER
from tests.bot.smtp_sink import Sink, free_port, smtp_sink
from tests.browser import chromium, needs_chromium

ANSWER_MS = 90_000
UI_MS = 20_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}

pytestmark = [pytest.mark.browser, needs_chromium, pytest.mark.asyncio(loop_scope="module")]


class Site:
    def __init__(self, url: str, app: web.Application, sink: Sink) -> None:
        self.url, self.app, self.sink = url, app, sink

    @property
    def tickets(self) -> Any:
        return self.app[ROUTER].tickets

    async def agent(self, name: str, capacity: int | None = None) -> int:
        async with self.app[SESSIONS]() as session, session.begin():
            user, _ = await create_user(session, name, "agent", capacity=capacity)
            return user.id

    async def ticket_of(self, visitor: str) -> Ticket:
        async with self.app[SESSIONS]() as session:
            ident = await session.scalar(
                select(ChannelIdentity).where(
                    ChannelIdentity.kind == "web_visitor", ChannelIdentity.external_id == visitor
                )
            )
            assert ident is not None
            ticket = await session.scalar(
                select(Ticket).where(Ticket.customer_id == ident.customer_id).order_by(Ticket.id.desc())
            )
            assert ticket is not None
            return ticket


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    db = tmp_path_factory.mktemp("handoff-browser") / "kundresa.db"
    port = free_port()
    with smtp_sink() as sink:
        settings = load_settings(
            environ={},
            database={"url": f"sqlite+aiosqlite:///{db}"},
            demo=False,
            chat={"identity_secret": "test-identity-secret"},
            email={
                "host": "127.0.0.1",
                "port": sink.port,
                "starttls": False,
                "away_minutes": 0,
                "poll_seconds": 0.2,
                "link_url": f"http://127.0.0.1:{port}/demo/checkout",
            },
        )
        app = create_app(settings)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield Site(f"http://127.0.0.1:{port}", app, sink)
        finally:
            await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


async def new_page(
    browser: Any, viewport: dict[str, int], errors: list[str], **kwargs: Any
) -> tuple[Any, Any]:
    mobile = viewport["width"] < 500
    context = await browser.new_context(
        viewport=viewport, is_mobile=mobile, has_touch=mobile, reduced_motion="reduce", **kwargs
    )
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


async def open_widget(page: Any, url: str) -> None:
    await page.goto(url, timeout=UI_MS)
    await page.click("#kundresa-launcher")
    await page.wait_for_selector("#kundresa-input", state="visible", timeout=UI_MS)


async def ask(page: Any, text: str) -> None:
    await page.fill("#kundresa-input", text)
    await page.click("#kundresa-send")


async def visitor_of(page: Any) -> str:
    return str(await page.evaluate("() => localStorage.getItem('kundresa.visitor')"))


async def rows(page: Any, kind: str) -> Any:
    return page.locator(f".kundresa-msg[data-kind={kind}]")


async def wait_text(page: Any, selector: str, pattern: str) -> str:
    await page.wait_for_function(
        "([sel, pat]) => { const n = document.querySelector(sel);"
        " return !!n && new RegExp(pat, 'i').test(n.innerText); }",
        arg=[selector, pattern],
        timeout=UI_MS,
    )
    return str(await page.locator(selector).first.inner_text())


async def test_waiting_for_a_person_in_swedish_on_desktop_and_phone(site: Site, browser: Any) -> None:
    """Nobody online → honest; then a queue that moves; then Agnes joins, replies in Markdown, resolves."""
    errors: list[str] = []
    ctx_a, first = await new_page(browser, PHONE, errors)  # someone ahead in the queue, on a phone
    ctx_b, page = await new_page(browser, DESKTOP, errors)
    try:
        await open_widget(first, f"{site.url}/demo/checkout")
        await ask(first, "Kan jag betala med Swish?")  # the same team's queue (payments) as the next one
        await (await rows(first, "answer")).first.wait_for(timeout=ANSWER_MS)
        await first.click("#kundresa-human")
        await (await rows(first, "handoff")).first.wait_for(timeout=ANSWER_MS)

        await open_widget(page, f"{site.url}/demo/checkout")
        await ask(page, "Kan jag betala med Swish?")
        await (await rows(page, "answer")).first.wait_for(timeout=ANSWER_MS)
        assert await page.locator("#kundresa-human").is_visible()
        await page.click("#kundresa-human")
        handoff = (await rows(page, "handoff")).first
        await handoff.wait_for(timeout=ANSWER_MS)
        # Nobody is online: no promised wait, an honest "no one is available", the email offer.
        assert "ingen är tillgänglig just nu" in (await handoff.inner_text()).lower()
        assert "minuter" not in await handoff.inner_text()
        await wait_text(page, ".kundresa-queue", "ingen i kundtjänsten är tillgänglig")
        assert await page.locator(".kundresa-email").is_visible()
        await page.locator("#kundresa-human").wait_for(state="hidden", timeout=UI_MS)
        assert await page.locator(".kundresa-state-text").inner_text() == "Väntar på kundtjänst"
        # The phone's panel shows the same and fits the screen.
        await first.locator("#kundresa-human").wait_for(state="hidden", timeout=UI_MS)
        box = await first.locator(".kundresa-queue").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        # The queue box takes room from the transcript: the handoff message stays in view above it
        # (it slipped under the box before the transcript was kept scrolled to its end).
        for p in (first, page):
            await p.wait_for_function(
                """() => {
                    const s = document.querySelector('.kundresa-scroll');
                    return s.scrollHeight - s.scrollTop - s.clientHeight < 2;
                }""",
                timeout=UI_MS,
            )

        # Further messages are acknowledged — asking for a person again too.
        await ask(page, "Hallå, är det någon där?")
        ack = (await rows(page, "notice")).last
        await ack.wait_for(timeout=UI_MS)
        assert "en person i kundtjänsten svarar dig här" in (await ack.inner_text()).lower()
        notices = await (await rows(page, "notice")).count()
        await ask(page, "jag vill prata med en människa")
        await page.wait_for_function(
            "n => document.querySelectorAll('.kundresa-msg[data-kind=notice]').length > n", arg=notices
        )
        assert "kundtjänsten" in await (await rows(page, "notice")).last.inner_text()

        # An agent comes online (not taking tickets yet): an honest wait from the real queue, second place.
        agnes = await site.agent("Agnes", capacity=0)
        await site.tickets.set_presence(agnes, "online")
        await wait_text(page, ".kundresa-queue", r"nummer 2 i kön.*cirka 10 min")
        # The ticket ahead is resolved: the place changes by itself.
        ahead = await site.ticket_of(await visitor_of(first))
        await site.tickets.resolve(ahead.id, agnes)
        await wait_text(page, ".kundresa-queue", r"näst på tur.*cirka 5 min")

        # Agnes takes it: "Agnes har anslutit", the header names her, her reply is Markdown.
        mine = await site.ticket_of(await visitor_of(page))
        await site.tickets.claim(mine.id, agnes)
        joined = (await rows(page, "joined")).first
        await joined.wait_for(timeout=UI_MS)
        assert (await joined.locator(".kundresa-divider").inner_text()).strip() == "Agnes har anslutit"
        await wait_text(page, ".kundresa-state-text", "Agnes från kundtjänst")
        await site.tickets.reply(
            mine.id, agnes, "Hej! Swish fungerar **nu igen**:\n\n- öppna appen\n- betala"
        )
        reply = (await rows(page, "agent_message")).first
        await reply.wait_for(timeout=UI_MS)
        assert await reply.locator("strong").inner_text() == "nu igen"
        assert await reply.locator("li").count() == 2
        assert re.fullmatch(r"\d\d:\d\d", (await reply.locator("time").inner_text()).strip())

        # Another device while Agnes has it: the history's first reply and the live status both say she
        # joined; one divider (there were two when the reply came before the status).
        ctx_d, again = await new_page(browser, DESKTOP, errors)
        try:
            mine_visitor = await visitor_of(page)
            await again.add_init_script(f"localStorage.setItem('kundresa.visitor', {mine_visitor!r})")
            await open_widget(again, f"{site.url}/demo/checkout")
            await (await rows(again, "agent_message")).first.wait_for(timeout=UI_MS)
            await wait_text(again, ".kundresa-state-text", "Agnes från kundtjänst")
            await again.wait_for_timeout(500)
            assert await (await rows(again, "joined")).count() == 1
        finally:
            await ctx_d.close()

        # Resolved: a divider, the rating card; one thanks, in Swedish.
        await site.tickets.resolve(mine.id, agnes)
        card = (await rows(page, "csat_request")).first
        await card.wait_for(timeout=UI_MS)
        assert "Ärendet är avslutat" in await card.locator(".kundresa-divider").inner_text()
        await page.locator("#kundresa-human").wait_for(state="visible", timeout=UI_MS)  # the bot's again
        await card.locator(".kundresa-score[data-score='4']").click()
        await page.wait_for_timeout(800)  # the server's reply has come
        text = await page.locator("#kundresa-messages").inner_text()
        assert text.count("Tack för ditt betyg!") == 1, text
        assert "Thank you" not in text
        async with site.app[SESSIONS]() as session:
            stored = await session.get(Ticket, mine.id)
            assert stored is not None and stored.csat == 4

        # A second device (the history comes from the server): the card is rated, and stays so.
        visitor = await visitor_of(page)
        ctx_c, other = await new_page(browser, PHONE, errors)
        try:
            await other.add_init_script(f"localStorage.setItem('kundresa.visitor', {visitor!r})")
            await open_widget(other, f"{site.url}/demo/checkout")
            card = (await rows(other, "csat_request")).first
            await card.wait_for(timeout=UI_MS)
            await other.wait_for_function(
                "() => [...document.querySelectorAll('.kundresa-score')].every((b) => b.disabled)",
                timeout=UI_MS,
            )
            assert await card.locator(".kundresa-score[aria-pressed=true]").inner_text() == "4"
            assert await (await rows(other, "joined")).count() == 1
        finally:
            await ctx_c.close()
        await site.tickets.set_presence(agnes, "away")
        assert errors == []
    finally:
        await ctx_a.close()
        await ctx_b.close()


async def test_feedback_answers_once_in_english(site: Site, browser: Any) -> None:
    """👍 one English thanks (no Swedish); 👎 one message (the handoff), then a rephrase is acknowledged."""
    errors: list[str] = []
    ctx, page = await new_page(browser, PHONE, errors, locale="en-GB")
    try:
        await open_widget(page, f"{site.url}/demo/checkout?lang=en")
        await ask(page, "Can I pay with Swish?")
        answer = (await rows(page, "answer")).first
        await answer.wait_for(timeout=ANSWER_MS)
        # Reads like an answer: the article as a card, its first paragraph, "Read more" for the rest.
        assert await answer.locator(".kundresa-card .kundresa-article").count() == 1
        short = await answer.locator(".kundresa-answer-body").inner_text()
        more = answer.locator(".kundresa-more")
        assert await more.inner_text() == "Read more"
        await more.click()
        assert len(await answer.locator(".kundresa-answer-body").inner_text()) > len(short)
        assert await more.get_attribute("aria-expanded") == "true"

        await page.click(".kundresa-fb[data-helpful=true]")
        await (await rows(page, "notice")).first.wait_for(timeout=UI_MS)
        await page.wait_for_timeout(500)
        text = await page.locator("#kundresa-messages").inner_text()
        assert text.count("Thanks for your feedback!") == 1, text
        assert "Tack" not in text

        await ask(page, "Can I pay by invoice?")
        await (await rows(page, "answer")).nth(1).wait_for(timeout=ANSWER_MS)
        before = await page.locator("#kundresa-messages > .kundresa-msg").count()
        await (
            page.locator(".kundresa-msg[data-kind=answer]")
            .nth(1)
            .locator(".kundresa-fb[data-helpful=false]")
            .click()
        )
        handoff = (await rows(page, "handoff")).first
        await handoff.wait_for(timeout=ANSWER_MS)
        await page.wait_for_timeout(500)
        # One message, not "rephrase, or talk to a person" next to "a person is taking over".
        assert await page.locator("#kundresa-messages > .kundresa-msg").count() == before + 1
        assert "rephrase" not in (await page.locator("#kundresa-messages").inner_text()).lower()
        assert (
            "no one in our support team is available"
            in (await page.locator(".kundresa-queue").inner_text()).lower()
        )
        await ask(page, "Can I pay in instalments instead?")  # a rephrased question is not ignored
        ack = (await rows(page, "notice")).last
        await page.wait_for_function(
            "() => /will answer you here/.test("
            "[...document.querySelectorAll('.kundresa-msg[data-kind=notice]')].pop().innerText)",
            timeout=UI_MS,
        )
        assert "will answer you here" in await ack.inner_text()
        assert errors == []
    finally:
        await ctx.close()


async def test_a_reply_after_leaving_comes_by_email_and_its_link_reopens_the_chat(
    site: Site, browser: Any
) -> None:
    errors: list[str] = []
    ctx, page = await new_page(browser, DESKTOP, errors)
    try:
        await open_widget(page, f"{site.url}/demo/checkout")
        await page.click("#kundresa-human")
        await (await rows(page, "handoff")).first.wait_for(timeout=ANSWER_MS)
        await page.locator(".kundresa-email").wait_for(timeout=UI_MS)
        await page.fill("#kundresa-email-input", "inte-en-adress")
        await page.click(".kundresa-email button")
        error = (await rows(page, "error")).first
        await error.wait_for(timeout=UI_MS)
        assert "e-postadress" in await error.inner_text()
        await page.fill("#kundresa-email-input", "kund.berg@example.com")
        await page.click(".kundresa-email button")
        await wait_text(page, ".kundresa-queue", r"ku\*\*\*@example\.com")
        assert await page.locator(".kundresa-email").is_hidden()
        assert "kund.berg" not in await page.locator("#kundresa-messages").inner_text()  # shown masked
        visitor = await visitor_of(page)
    finally:
        await ctx.close()  # the customer leaves

    ticket = await site.ticket_of(visitor)
    async with site.app[SESSIONS]() as session:
        conv = await session.get(Conversation, ticket.conversation_id)
        assert conv is not None and conv.reply_email == "kund.berg@example.com"
    bo = await site.agent("Bo", capacity=0)
    for _ in range(100):  # the socket's close is noted in the background
        async with site.app[SESSIONS]() as session:
            conv = await session.get(Conversation, ticket.conversation_id)
            if conv is not None and conv.away_since is not None:
                break
        await asyncio.sleep(0.05)
    await site.tickets.reply(ticket.id, bo, "Ditt presentkort är förlängt.")
    [(rcpt, mail)] = await site.sink.wait(1)
    assert rcpt == ["kund.berg@example.com"]
    body = mail.get_body(("plain",))
    assert body is not None
    link = re.search(r"http://\S+kundresa_reopen=\S+", body.get_content())
    assert link, body.get_content()

    # The link, in a browser that never saw this chat: the same conversation opens.
    ctx, page = await new_page(browser, PHONE, errors)
    try:
        await page.goto(link.group(0), timeout=UI_MS)
        reply = (await rows(page, "agent_message")).first
        await reply.wait_for(timeout=UI_MS)
        assert "presentkort är förlängt" in await reply.inner_text()
        assert await visitor_of(page) == visitor
        assert "kundresa_reopen" not in page.url  # the token leaves the address bar
        assert errors == []
    finally:
        await ctx.close()


async def test_a_returning_signed_in_customer_is_greeted_by_name_and_told_of_the_open_ticket(
    site: Site, browser: Any
) -> None:
    errors: list[str] = []
    user = "kund-4711"
    query = f"user={user}&sig={sign_user(user, 'test-identity-secret')}&name=Anna"
    ctx, page = await new_page(browser, DESKTOP, errors)
    try:
        await open_widget(page, f"{site.url}/demo/checkout?{query}")
        await ask(page, "hej")
        greeting = (await rows(page, "notice")).first
        await greeting.wait_for(timeout=ANSWER_MS)
        assert "Hej Anna!" in await greeting.inner_text()
        await page.click("#kundresa-human")
        handoff = (await rows(page, "handoff")).first
        await handoff.wait_for(timeout=ANSWER_MS)
        ticket = await handoff.get_attribute("data-ticket")
        await page.wait_for_timeout(300)
        assert (
            "fortfarande öppet" not in await page.locator(".kundresa-welcome").inner_text()
        )  # not mid-visit
    finally:
        await ctx.close()

    # Another device, in English: greeted by name, told the ticket is still open.
    ctx, page = await new_page(browser, PHONE, errors, locale="en-GB")
    try:
        await open_widget(page, f"{site.url}/demo/checkout?lang=en&{query}")
        welcome = await wait_text(page, ".kundresa-welcome", "welcome back")
        assert "Hi Anna, welcome back!" in welcome
        assert f"Your ticket #{ticket} is still open" in welcome
        assert await page.locator(".kundresa-welcome").is_visible()
        assert errors == []
    finally:
        await ctx.close()
