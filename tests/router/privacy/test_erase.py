"""Erasure end to end on the real app (SQLite, Slack on a fake Web API): a customer who wrote on the web
chat and in Slack, was handed to a person, left a knowledge gap and taught the bot an example question
is exported, then erased. Afterwards no byte of their email, name, message texts or page context is in the
database file, its write-ahead log or the app's log, the app's Slack posts about them are gone, and the
statistics add up as before."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import create_app
from bot.channels.slack import SLACK
from bot.channels.webchat import sign_user
from config import Settings
from infra.app_keys import SESSIONS
from knowledge.models import ArticleVersion, EmbeddingCache, ExampleQuestion, GapQuestion
from knowledge.text import text_hash
from router.analytics import compute_stats
from router.models import AuditEntry, Customer, InboxItem, Ticket
from router.web import KB
from tests.fakes.slack_events import SECRET as SLACK_SECRET
from tests.fakes.slack_events import dm, event_body, post_signed
from tests.privacy_helpers import ThreadedSlack, found_in_files

ID_SECRET = "test-identity-secret"
AGENTS = "C_AGENTS"
AGENT = "U_AGENT"
SLACK_USER = "U_KIMBERLY"
DM = "D_KIMBERLY"
EMAIL = "kimberly.kundqvist@example.com"
NAME = "Kimberly Kundqvist"
WEB_USER = "shop-user-48151"
ORDER = "NH-ERASE-4411"
WEB_TEXT = "Min beställning Zorbulator fastnade vid betalningen"  # unanswerable: handoff and a gap
SLACK_TEXT = "Hej, Kimberly här igen om Zorbulator-ordern"
THREAD_REPLY = "Vi tittar på Zorbulator-ordern nu"  # an agent in the ticket's Slack thread
ARTICLE = "saker-betalning"


@pytest.fixture
async def slack() -> AsyncIterator[ThreadedSlack]:
    fake = ThreadedSlack()
    await fake.start()
    fake.add_user(SLACK_USER, email=EMAIL, name=NAME)
    fake.add_user(AGENT, email="sven@shop.example", name="Sven Agent")
    yield fake
    await fake.close()


@pytest.fixture
def slack_settings(
    settings: Settings, make_settings: Callable[..., Settings], slack: ThreadedSlack
) -> Settings:
    # `settings` first: this test's copy of the demo database, which make_settings then points at too
    return make_settings(
        slack={
            "bot_token": "xoxb-test",
            "signing_secret": SLACK_SECRET,
            "agents_channel": AGENTS,
            "api_base_url": slack.base_url,
        }
    )


@pytest.fixture
async def client(slack: ThreadedSlack, slack_settings: Settings, aiohttp_client: Any) -> Any:
    return await aiohttp_client(create_app(slack_settings))


async def idle(client: Any) -> None:
    await asyncio.wait_for(client.app[SLACK].idle(), 30)


async def frames_until(ws: Any, wanted: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] == wanted:
            return dict(frame)


async def slack_dm(client: Any, slack: ThreadedSlack, text: str, ts: str) -> None:
    slack.add_message(DM, ts, SLACK_USER, text)
    resp = await post_signed(client, event_body(dm(text, ts, user=SLACK_USER, channel=DM)))
    assert resp.status == 200


async def make_customer(client: Any, slack: ThreadedSlack, admin_headers: dict[str, str]) -> dict[str, Any]:
    """The customer's life: web chat (verified user and email, page context), a handoff posted to Slack, an
    agent's reply in its thread, a Slack DM, the ticket resolved into an example question."""
    params = {
        "visitor": "v-erase-1",
        "user": WEB_USER,
        "sig": sign_user(WEB_USER, ID_SECRET),
        "email": EMAIL,
        "email_sig": sign_user(EMAIL, ID_SECRET),
        "context": json.dumps({"step": "payment", "order_id": ORDER, "amount": 1847, "currency": "SEK"}),
    }
    ws = await client.ws_connect("/ws/chat", params=params)
    # The shop's page tells of a declined card (a shop event: order number and amount on the timeline).
    failed = {"reason": "card_declined", "order_id": ORDER, "amount": 1847, "currency": "SEK"}
    await ws.send_json({"type": "event", "name": "payment_failed", "data": failed})
    await ws.send_json({"type": "message", "id": "c-1", "text": WEB_TEXT})
    handoff = await frames_until(ws, "handoff")
    ticket_id = int(handoff["ticket"])
    await idle(client)
    [post] = [m for m in slack.history.get(AGENTS, []) if not m.get("thread_ts")]
    slack.add_message(AGENTS, "1700009000.000100", AGENT, THREAD_REPLY, thread_ts=post["ts"])
    await slack_dm(client, slack, SLACK_TEXT, "1700009100.000100")
    await idle(client)
    resp = await client.post(
        f"/api/tickets/{ticket_id}/resolve", json={"article": ARTICLE}, headers=admin_headers
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["learned_question"] == WEB_TEXT
    await frames_until(ws, "csat_request")
    await ws.send_json({"type": "csat", "score": 4})
    await ws.send_json({"type": "message", "id": "c-2", "text": "tack så mycket"})
    await frames_until(ws, "ack")
    await ws.close()
    await idle(client)
    async with client.app[SESSIONS]() as session:
        customer = await session.scalar(select(Customer).where(Customer.email == EMAIL))
        assert customer is not None and customer.name == NAME  # Slack's name, one customer for both channels
        return {"customer_id": customer.id, "ticket_id": ticket_id, "post_ts": post["ts"]}


async def test_export_then_erase_leaves_no_trace(
    client: Any, slack: ThreadedSlack, admin_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="kundresa")  # the app's own loggers, at every level
    made = await make_customer(client, slack, admin_headers)
    cid = made["customer_id"]
    sessions = client.app[SESSIONS]
    stats_before = await compute_stats(sessions, *_today())

    # Found by verified email or by the shop's user id; the export holds every channel's messages.
    for query in (f"email={EMAIL.upper()}", f"user_id={WEB_USER}", f"user_id={SLACK_USER}"):
        resp = await client.get(f"/api/customers/lookup?{query}", headers=admin_headers)
        assert (resp.status, (await resp.json())["customer_id"]) == (200, cid)
    resp = await client.get(f"/api/customers/{cid}/export", headers=admin_headers)
    assert resp.status == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    data = await resp.json()
    texts = [m["text"] for c in data["conversations"] for m in c["messages"]]
    assert WEB_TEXT in texts and SLACK_TEXT in texts
    assert {m["channel"] for c in data["conversations"] for m in c["messages"]} >= {"web", "slack"}
    assert {(i["kind"], i["external_id"]) for i in data["identities"]} >= {
        ("web_user", WEB_USER),
        ("email", EMAIL),
        ("slack_user", SLACK_USER),
    }
    assert data["customer"]["email"] == EMAIL and data["customer"]["name"] == NAME
    assert [t["question"] for t in data["tickets"]] == [WEB_TEXT]
    assert data["csat"] == [{"ticket_id": made["ticket_id"], "score": 4}]
    assert WEB_TEXT in [g["text"] for g in data["gap_questions"]]
    assert [(e["article"], e["text"]) for e in data["learned_examples"]] == [(ARTICLE, WEB_TEXT)]
    assert any(c.get("order_id") == ORDER for c in data["page_contexts"])
    assert [(e["name"], e["reason"], e["data"]["order_id"]) for e in data["shop_events"]] == [
        ("payment_failed", "card_declined", ORDER)
    ]

    # A dry run changes nothing and says what would go.
    resp = await client.delete(f"/api/customers/{cid}", json={"dry_run": True}, headers=admin_headers)
    dry = await resp.json()
    assert resp.status == 200 and dry["dry_run"] is True and dry["learned_examples_removed"] == 1
    assert dry["messages"] >= 6 and dry["tickets"] == 1 and dry["shop_events"] == 1
    async with sessions() as session:
        assert await session.get(Customer, cid) is not None

    resp = await client.delete(f"/api/customers/{cid}", headers=admin_headers)
    assert resp.status == 200, await resp.text()
    report = await resp.json()
    assert report["customers"] == [cid] and report["learned_examples_removed"] == 1
    assert report["articles_changed"] == [ARTICLE]
    # The app's posts (the ticket post, its thread mirror, the replies to the DM) are deleted in Slack;
    # what people wrote there (the customer's DM, the agent's thread reply) Slack keeps.
    assert report["slack"]["deleted"] >= 3 and report["slack"]["left"] >= 2 and report["slack"]["failed"] == 0
    assert not [m for m in slack.history[AGENTS] if m.get("bot_id")]
    assert not [m for m in slack.history.get(DM, []) if m.get("bot_id")]
    assert [m["text"] for m in slack.history[AGENTS]] == [THREAD_REPLY]

    resp = await client.get(f"/api/customers/{cid}/export", headers=admin_headers)
    assert resp.status == 404
    async with sessions() as session:
        for model in (Customer, Ticket, GapQuestion):
            assert (
                await session.scalar(select(func.count()).select_from(model).where(*_where(model, cid))) == 0
            )
        assert (
            await session.scalar(
                select(func.count()).select_from(ExampleQuestion).where(ExampleQuestion.text == WEB_TEXT)
            )
            == 0
        )
        cached = {text_hash(p + WEB_TEXT) for p in ("", "query: ", "passage: ")}
        assert (
            await session.scalar(
                select(func.count()).select_from(EmbeddingCache).where(EmbeddingCache.text_hash.in_(cached))
            )
            == 0
        )
        for v in await session.scalars(select(ArticleVersion)):
            assert WEB_TEXT not in json.dumps(v.snapshot, ensure_ascii=False)
        assert await session.scalar(select(func.count()).select_from(InboxItem)) is not None
        actions = list(await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions[-3:] == ["customer.export", "customer.erase", "customer.erase_slack"]
    # The search index forgot the learned question too.
    article = client.app[KB].index.by_slug[ARTICLE]
    assert WEB_TEXT not in article.questions

    # The statistics still add up: the erased conversations count as before.
    stats_after = await compute_stats(sessions, *_today())
    assert stats_after["totals"] == stats_before["totals"]

    # No byte of them in the database file or its log, nor in what the app logged.
    db = _db_path(client)
    needles = [EMAIL, NAME, WEB_TEXT, SLACK_TEXT, ORDER, WEB_USER, SLACK_USER, "Zorbulator", "Kimberly"]
    files = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-journal")]
    assert found_in_files(files, needles) == []
    lines = [f"{r.name}: {r.getMessage()}" for r in caplog.records]
    assert [line for line in lines if any(n in line for n in needles)] == []


def _where(model: Any, cid: int) -> list[Any]:
    if model is GapQuestion:
        return [GapQuestion.text == WEB_TEXT]
    if model is Customer:
        return [Customer.id == cid]
    return [model.customer_id == cid]


def _today() -> tuple[Any, Any]:
    from datetime import UTC, datetime, timedelta

    today = datetime.now(UTC).date()
    return today - timedelta(days=1), today + timedelta(days=1)


def _db_path(client: Any) -> Path:
    from infra.app_keys import SETTINGS

    return Path(client.app[SETTINGS].database.url.split("///", 1)[1])
