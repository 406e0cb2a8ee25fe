"""`/admin` in Debian Chromium against the real app on loopback (issue 6):

1. an admin logs in, creates an article from a knowledge gap, publishes it, and the widget on the demo
   checkout then answers that question with it;
2. an old version is restored and becomes the current one;
3. `<script>` and `<img onerror>` in an article body (and title) run nowhere: not in the admin preview,
   not in the widget, not in the agent console — and the preview renders exactly as the widget does.

Never downloads a browser: without /usr/bin/chromium the module is skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web

from bot.app import create_app
from config import load_settings
from tests.browser import chromium, needs_chromium

WAIT = 60_000  # ms; the machine may be loaded

GAP_QUESTIONS = [
    "Kan jag betala med bitcoin eller annan kryptovaluta hos er?",
    "Går det att betala med bitcoin hos er?",
    "Kan jag betala med bitcoin?",
]
XSS_QUESTION = "Hur öppnar jag ett kryptokonto i er butik?"
XSS_BODY = (
    "Hej! Så här gör du.\n\n"
    "<script>window.__pwned=1</script>\n"
    '<img src=x onerror="window.__pwned=2">\n\n'
    "- **Steg 1:** [klicka här](javascript:window.__pwned=4)\n"
    "- Steg 2: läs `<b>kod</b>` på https://example.com/konto"
)
XSS_TITLE = 'Kryptokonto <img src=x onerror="window.__pwned=3">'

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
    pytest.mark.asyncio(loop_scope="module"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, web.Application]]:
    """The real app (demo knowledge base) listening on a free loopback port."""
    db = tmp_path_factory.mktemp("admin-browser") / "kundresa.db"
    settings = load_settings(
        environ={},
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
    try:
        yield f"http://{host}:{port}", app
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tokens(server: tuple[str, web.Application]) -> dict[str, str]:
    from infra.app_keys import SESSIONS
    from router.auth import create_user

    _, app = server
    out = {}
    async with app[SESSIONS]() as session, session.begin():
        for name, role in (("ada", "admin"), ("agnes", "agent")):
            _, out[role] = await create_user(session, name, role)
    return out


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as launched:
        yield launched


async def new_page(browser: Any, problems: list[str] | None = None) -> Any:
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(WAIT)
    page.on("dialog", lambda dialog: dialog.accept())
    if problems is not None:
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    return page


async def admin_login(page: Any, base: str, token: str) -> None:
    from playwright.async_api import expect

    await page.goto(f"{base}/admin")
    await expect(page.locator("#admin-login")).to_have_text("Logga in")  # Swedish by default
    await page.fill("#admin-token", token)
    await page.click("#admin-login")
    await expect(page.locator("#article-list .article-item").first).to_be_visible()


async def ask_in_widget(page: Any, base: str, question: str) -> None:
    await page.goto(f"{base}/demo/checkout")
    await page.click("#kundresa-launcher")
    await page.fill("#kundresa-input", question)
    await page.press("#kundresa-input", "Enter")


async def assert_not_pwned(page: Any) -> None:
    assert await page.evaluate("typeof window.__pwned") == "undefined"


async def test_create_an_article_from_a_gap_publish_it_and_the_widget_answers(
    server: tuple[str, web.Application], tokens: dict[str, str], browser: Any
) -> None:
    from playwright.async_api import expect

    from router.web import KB

    base, app = server
    for question in GAP_QUESTIONS:
        await app[KB].record_gap(question, "no_answer", channel="web")

    problems: list[str] = []
    admin = await new_page(browser, problems)
    try:
        await admin_login(admin, base, tokens["admin"])

        # The gap group, largest first, with its examples and their channel.
        await admin.click("#tab-gaps")
        group = admin.locator("#gaps .gap-group", has_text="bitcoin").first
        await expect(group).to_be_visible()
        await expect(group.locator(".gap-size")).to_have_text(str(len(GAP_QUESTIONS)))
        await expect(group.locator(".gap-examples li")).to_have_count(len(GAP_QUESTIONS))
        await expect(group.locator(".badge.channel").first).to_have_text("webb")

        # "Create article" opens the editor with the questions filled in as example questions.
        await group.locator(".gap-create").click()
        await expect(admin.locator("#editor-title")).not_to_have_value("")
        questions = admin.locator("#editor-questions li")
        await expect(questions).to_have_count(len(GAP_QUESTIONS))
        for question in GAP_QUESTIONS:
            await expect(admin.locator("#editor-questions")).to_contain_text(question)
        await expect(admin.locator("#editor-lang")).to_have_value("sv")
        await admin.fill("#editor-title", "Betala med kryptovaluta")
        await admin.fill("#editor-slug", "kryptovaluta")
        await admin.fill("#editor-tags", "betalning")
        await expect(admin.locator("#editor-team")).to_contain_text("payments")
        await admin.fill(
            "#editor-body", "Nej, vi tar inte emot **kryptovaluta**.\n\nBetala med kort, Swish eller faktura."
        )
        await expect(admin.locator("#editor-preview strong")).to_have_text("kryptovaluta")  # live preview
        await expect(admin.locator("#editor-preview .kundresa-article")).to_have_text(
            "Betala med kryptovaluta"
        )

        await admin.click("#editor-publish")
        await expect(admin.locator("#editor-status")).to_have_text("Publicerad")
        await expect(admin.locator("#article-list .article-item[data-slug='kryptovaluta']")).to_be_visible()
        await expect(admin.locator("#editor-questions .badge.src-gap")).to_have_count(len(GAP_QUESTIONS))
        await expect(admin.locator("#history .version-item")).not_to_have_count(0)

        # The group is handled: gone from the gaps list.
        await admin.click("#tab-gaps")
        await expect(admin.locator("#gaps .gap-group", has_text="bitcoin")).to_have_count(0)

        # "Try a question" shows what the bot would do now, and why.
        await admin.click("#tab-try")
        await admin.fill("#try-input", GAP_QUESTIONS[0])
        await admin.click("#try-run")
        first = admin.locator("#try-result .try-article").first
        await expect(first).to_have_attribute("data-slug", "kryptovaluta")
        await expect(admin.locator("#try-result .decision")).to_have_attribute("data-decision", "answer")
        await expect(first).to_contain_text("exempelfråga")
        assert problems == []
    finally:
        await admin.context.close()

    customer = await new_page(browser)
    try:
        await ask_in_widget(customer, base, GAP_QUESTIONS[0])
        answer = customer.locator(".kundresa-msg[data-kind=answer]").last
        await expect(answer).to_have_attribute("data-article", "kryptovaluta", timeout=WAIT)
        await expect(answer).to_contain_text("Nej, vi tar inte emot kryptovaluta.")
    finally:
        await customer.context.close()


async def test_restore_an_old_version(
    server: tuple[str, web.Application], tokens: dict[str, str], browser: Any
) -> None:
    from playwright.async_api import expect

    from knowledge import ArticleData
    from router.web import KB

    base, app = server
    kb = app[KB]
    original = await kb.get("presentkort")
    first_version = original["version"]
    edited = {k: original[k] for k in ("slug", "title", "lang", "tags", "status", "body", "questions")}
    edited.update(title="Presentkort – ändrad rubrik", body=original["body"] + "\n\nEn rad som ska bort.")
    await kb.save(ArticleData.from_dict(edited), author="ada")

    problems: list[str] = []
    admin = await new_page(browser, problems)
    try:
        await admin_login(admin, base, tokens["admin"])
        await admin.fill("#article-search", "presentkort")
        await admin.click("#article-list .article-item[data-slug='presentkort']")
        await expect(admin.locator("#editor-title")).to_have_value("Presentkort – ändrad rubrik")
        old = admin.locator(f"#history .version-item[data-version='{first_version}']")
        await old.click()
        await expect(old).to_have_attribute("aria-pressed", "true")
        await expect(
            admin.locator("#history-diff .del", has_text="Presentkort – ändrad rubrik")
        ).to_have_count(0)
        await expect(
            admin.locator("#history-diff .add", has_text="Presentkort – ändrad rubrik")
        ).to_have_count(1)
        await expect(admin.locator("#history-diff .add", has_text="En rad som ska bort.")).to_have_count(1)

        await admin.click("#history-restore")
        restored = first_version + 2
        await expect(admin.locator("#editor-title")).to_have_value(original["title"])
        current = admin.locator(f"#history .version-item[data-version='{restored}']")
        await expect(current).to_contain_text("nuvarande")
        await expect(admin.locator("#editor-version")).to_have_text(f"version {restored}")
        assert "En rad som ska bort." not in await admin.input_value("#editor-body")
        now = await kb.get("presentkort")
        assert now["version"] == restored
        assert (now["title"], now["body"]) == (original["title"], original["body"])

        # Example questions: add one (a new version, source "admin"), then remove it again.
        added = "Kan jag ge bort ett presentkort till en vän?"
        await admin.fill("#editor-question-input", added)
        await admin.click("#editor-question-add")
        row = admin.locator("#editor-questions li", has_text=added)
        await expect(row.locator(".badge.src-admin")).to_be_visible()
        await expect(admin.locator("#editor-version")).to_have_text(f"version {restored + 1}")
        await row.locator(".question-remove").click()
        await expect(admin.locator("#editor-questions li", has_text=added)).to_have_count(0)
        await expect(admin.locator("#editor-version")).to_have_text(f"version {restored + 2}")
        assert added not in (await kb.get("presentkort"))["questions"]

        # Import from the page: a report of what changed; a bad file names its line and imports nothing.
        await admin.click("#tab-io")
        good = {"slug": "importerad", "title": "Importerad artikel", "body": "Hej", "status": "draft"}
        await admin.set_input_files(
            "#import-file",
            files=[
                {"name": "kb.jsonl", "mimeType": "application/x-ndjson", "buffer": json.dumps(good).encode()}
            ],
        )
        await admin.click("#import-run")
        await expect(admin.locator("#import-report details[data-kind=created]")).to_contain_text("importerad")
        await admin.set_input_files(
            "#import-file",
            files=[
                {"name": "trasig.jsonl", "mimeType": "application/x-ndjson", "buffer": b'{"slug": "x"}\n{'}
            ],
        )
        await admin.click("#import-run")
        error = admin.locator("#import-error")
        await expect(error).to_contain_text("Filen trasig.jsonl har ett fel på rad 1")
        await expect(admin.locator("#import-report details.technical")).to_contain_text("trasig.jsonl:1:")
        async with admin.expect_download() as download:
            await admin.click("#export-csv")
        assert (await download.value).suggested_filename.endswith(".csv")

        # The rest of the console draws: health table, dashboard charts, English texts.
        await admin.click("#tab-health")
        await expect(admin.locator("#health-body tr.health-row[data-slug='presentkort']")).to_be_visible()
        await admin.click("#tab-dashboard")
        await expect(admin.locator("#dashboard .kpi")).to_have_count(7)
        await expect(admin.locator("#dashboard figure.chart svg")).to_have_count(5)
        await admin.click("#admin-lang")
        await expect(admin.locator("#tab-articles")).to_have_text("Articles")
        await expect(admin.locator("#dashboard .kpi").first).to_contain_text("Conversations")
        assert sum("status of 400" in p for p in problems) <= 1  # the bad import's answer, as logged
        assert [p for p in problems if "status of 400" not in p] == []
    finally:
        await admin.context.close()


async def test_script_in_an_article_runs_nowhere(
    server: tuple[str, web.Application], tokens: dict[str, str], browser: Any
) -> None:
    from playwright.async_api import expect

    from knowledge import ArticleData
    from router.web import KB

    base, app = server
    await app[KB].create(
        ArticleData(
            slug="xss-test",
            title=XSS_TITLE,
            lang="sv",
            status="published",
            body=XSS_BODY,
            questions=[XSS_QUESTION],
        ),
        author="mallory",
    )

    # The admin preview (and the article list, the try view) show it as text.
    admin = await new_page(browser)
    try:
        await admin_login(admin, base, tokens["admin"])
        await admin.click("#article-list .article-item[data-slug='xss-test']")
        preview = admin.locator("#editor-preview")
        await expect(preview).to_contain_text("<script>window.__pwned=1</script>")
        await expect(preview).to_contain_text('<img src=x onerror="window.__pwned=2">')
        await expect(preview.locator(".kundresa-article")).to_have_text(XSS_TITLE)
        assert await preview.locator("script, img, a[href^='javascript']").count() == 0
        await expect(preview.locator("a.kundresa-link")).to_have_attribute(
            "href", "https://example.com/konto"
        )
        await admin.click("#tab-try")
        await admin.fill("#try-input", XSS_QUESTION)
        await admin.click("#try-run")
        await expect(admin.locator("#try-result .try-article").first).to_contain_text(XSS_TITLE)
        assert await admin.locator("img").count() == 0
        await assert_not_pwned(admin)
        preview_html = await preview.locator(".kundresa-md").evaluate("n => n.outerHTML")
    finally:
        await admin.context.close()

    # The widget answers with it, as text, rendered exactly like the preview; then the customer asks for a
    # person, and the agent console shows the conversation.
    customer = await new_page(browser)
    agent = await new_page(browser)
    try:
        await ask_in_widget(customer, base, XSS_QUESTION)
        answer = customer.locator(".kundresa-msg[data-kind=answer]").last
        await expect(answer).to_have_attribute("data-article", "xss-test", timeout=WAIT)
        if await answer.locator(".kundresa-more").count():  # a short answer first: "Läs mer" shows it all
            await answer.locator(".kundresa-more").click()
        await expect(answer).to_contain_text("<script>window.__pwned=1</script>")
        await expect(answer).to_contain_text(XSS_TITLE)  # the article's card, as text
        assert await answer.locator("script, img, a[href^='javascript']").count() == 0
        assert await answer.locator(".kundresa-md").evaluate("n => n.outerHTML") == preview_html
        await assert_not_pwned(customer)
        await customer.click("#kundresa-human")
        handoff = customer.locator(".kundresa-msg[data-kind=handoff][data-ticket]").last
        await handoff.wait_for(timeout=WAIT)
        ticket_id = await handoff.get_attribute("data-ticket")

        await agent.goto(f"{base}/agent")
        await agent.fill("#agent-token", tokens["agent"])
        await agent.click("#agent-login")
        item = agent.locator(f"#agent-queue .queue-item[data-ticket='{ticket_id}']")
        await item.click()
        timeline = agent.locator("#agent-timeline")
        await expect(timeline.locator(".tl-msg[data-kind=answer]")).to_contain_text(
            "<script>window.__pwned=1</script>"
        )
        await expect(timeline).to_contain_text('onerror="window.__pwned=2"')
        await agent.fill("#agent-canned", "Kryptokonto")
        await expect(agent.locator("#agent-canned-results")).to_contain_text(XSS_TITLE)
        assert (
            await agent.locator(
                "#agent-timeline img, #agent-timeline script, #agent-canned-results img"
            ).count()
            == 0
        )
        await assert_not_pwned(agent)
        await assert_not_pwned(customer)
    finally:
        await customer.context.close()
        await agent.context.close()


async def test_link_an_english_version_and_try_a_question(
    server: tuple[str, web.Application], tokens: dict[str, str], browser: Any
) -> None:
    """An English version of a Swedish article, made in the editor, is listed on both and answers an
    English question in "try a question", whose confidence bar shows the two thresholds."""
    from playwright.async_api import expect

    from router.web import KB

    base, app = server
    problems: list[str] = []
    admin = await new_page(browser, problems)
    try:
        await admin_login(admin, base, tokens["admin"])
        await admin.click("#article-new")
        await admin.fill("#editor-title", "Your card is declined")
        await admin.fill("#editor-slug", "card-declined")
        await admin.select_option("#editor-lang", "en")
        await admin.select_option("#editor-translation", "kort-nekas")
        await admin.fill("#editor-body", "If your card is declined, call your bank: they see why.")
        await admin.fill("#editor-question-input", "Why is my card declined?")
        await admin.click("#editor-question-add")
        await admin.click("#editor-publish")
        await expect(admin.locator("#editor-version")).to_have_text("version 1")
        linked = admin.locator("#editor-versions li[data-slug='kort-nekas']")
        await expect(linked).to_contain_text("Kortet nekas vid betalning")
        await expect(linked).to_contain_text("huvudversion")
        assert (await app[KB].get("card-declined"))["translation_of"] == "kort-nekas"

        await linked.locator("button").click()  # the link opens the Swedish article, which lists it too
        await expect(admin.locator("#editor-slug")).to_have_value("kort-nekas")
        await expect(admin.locator("#editor-translation")).to_have_value("")
        back = admin.locator("#editor-versions li[data-slug='card-declined']")
        await expect(back).to_contain_text("Your card is declined")
        await expect(admin.locator("#article-list .article-item[data-slug='kort-nekas']")).to_contain_text(
            "även en"
        )

        await admin.click("#tab-try")
        await admin.fill("#try-input", "Why was my card declined when I paid?")
        await admin.click("#try-run")
        first = admin.locator("#try-result tr.try-article").first
        # the group's English version (the demo has its own, kort-nekas-en, besides the one made here)
        await expect(first).to_have_attribute("data-slug", re.compile(r"^(card-declined|kort-nekas-en)$"))
        await expect(admin.locator("#try-result tr.try-article[data-slug='kort-nekas']")).to_have_count(0)
        await expect(admin.locator("#try-result .confbar-mark")).to_have_count(2)
        await expect(admin.locator("#try-result .confbar-label")).to_contain_text("Säkerhet")
        await admin.click("#admin-lang")
        await expect(admin.locator("#try-result .confbar-label")).to_contain_text("Confidence")
        assert problems == []
    finally:
        await admin.context.close()
