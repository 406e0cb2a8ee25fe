"""Shop events end to end on the real app: the signed `POST /api/events`, the chat `event` frame, the
customer's timeline, proactive rules (once per conversation, quiet period, not while an agent owns the
conversation, hold-out), the offer's open/dismiss frames, and payment priority on a handoff.

One app serves the module (starting it costs seconds); every test uses its own customers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from shop_helpers import (
    Client,
    connect,
    copy_db,
    new_id,
    post_event,
    shop_settings,
    signed,
    until_sentinel,
)
from sqlalchemy import select

from bot.app import create_app
from infra.app_keys import SESSIONS, SETTINGS
from router.auth import create_user
from router.models import ProactiveOffer, ShopEvent, Ticket
from router.shop_events.rules import held_out
from router.tickets import PRIORITY_PAYMENT

pytestmark = pytest.mark.asyncio(loop_scope="module")
DECLINED = {"name": "payment_failed", "reason": "card_declined"}
ORDER = {"order_id": "NH-100234", "amount": 1847, "currency": "SEK"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_client(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    db = tmp_path_factory.mktemp("shop") / "kundresa.db"
    copy_db(demo_db_file, db)
    async with TestClient(TestServer(create_app(shop_settings(db, quiet_minutes=0)))) as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent(app_client: Client) -> dict[str, str]:
    async with app_client.app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "agnes", "agent")
    return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin(app_client: Client) -> dict[str, str]:
    async with app_client.app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "ada", "admin")
    return {"Authorization": f"Bearer {token}"}


async def timeline(client: Client, customer_id: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    resp = await client.get(f"/api/customers/{customer_id}/timeline", headers=headers)
    assert resp.status == 200, await resp.text()
    return list((await resp.json())["messages"])


# -- the signed server-to-server API ---------------------------------------------------------------------
async def test_missing_bad_stale_and_replayed_signatures_are_401(app_client: Client) -> None:
    body = {**DECLINED, "user": new_id("u"), "data": ORDER}
    raw, headers = signed(body)
    resp = await app_client.post("/api/events", data=raw, headers={"Content-Type": "application/json"})
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "missing_signature"
    resp = await app_client.post(
        "/api/events", data=raw, headers={**headers, "X-Kundresa-Signature": "sha256=00"}
    )
    assert (resp.status, (await resp.json())["error"]["code"]) == (401, "bad_signature")
    _, wrong = signed(body, secret="not-the-shop-secret")
    resp = await app_client.post("/api/events", data=raw, headers=wrong)
    assert resp.status == 401
    tampered = raw.replace(b"card_declined", b"other")
    resp = await app_client.post("/api/events", data=tampered, headers=headers)
    assert resp.status == 401
    stale_raw, stale = signed(body, at=time.time() - 3600)
    resp = await app_client.post("/api/events", data=stale_raw, headers=stale)
    assert (resp.status, (await resp.json())["error"]["code"]) == (401, "stale_signature")
    resp = await app_client.post("/api/events", data=raw, headers=headers)
    assert resp.status == 201, await resp.text()
    again = await app_client.post("/api/events", data=raw, headers=headers)
    assert (again.status, (await again.json())["error"]["code"]) == (401, "replayed")
    async with app_client.app[SESSIONS]() as session:
        rows = list(
            await session.scalars(
                select(ShopEvent).where(ShopEvent.customer_id == (await resp.json())["customer_id"])
            )
        )
    assert len(rows) == 1 and rows[0].source == "server"


async def test_bad_events_are_clear_4xx(app_client: Client) -> None:
    user = new_id("u")
    cases = [
        ({"name": "payment_failed", "reason": "moon_phase", "user": user}, 400, "invalid_reason"),
        ({"name": "Payment Failed!", "user": user}, 400, "invalid_event"),
        ({"name": "payment_failed", "reason": "card_declined"}, 400, "invalid_event"),  # no customer
        ({"name": "cart_viewed", "user": user, "data": ["not", "an", "object"]}, 400, "invalid_event"),
        ({"name": "cart_viewed", "user": user, "data": {"blob": "x" * 5000}}, 413, "too_large"),
    ]
    for body, status, code in cases:
        resp = await post_event(app_client, body)
        assert resp.status == status, (body, await resp.text())
        assert (await resp.json())["error"]["code"] == code
    raw = b"{not json"
    _, headers = signed({})
    headers = {**headers, **signed_raw(raw)}
    resp = await app_client.post("/api/events", data=raw, headers=headers)
    assert (resp.status, (await resp.json())["error"]["code"]) == (400, "invalid_json")


def signed_raw(raw: bytes) -> dict[str, str]:
    from shop_helpers import EVENTS_SECRET

    from router.shop_events.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_event

    stamp = str(int(time.time()))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign_event(EVENTS_SECRET, stamp, raw)}


async def test_a_custom_event_before_any_conversation_is_on_the_timeline_masked(
    app_client: Client, agent: dict[str, str]
) -> None:
    user = new_id("u")
    data = {"sku": "LAMP-1", "note": "kort 4111 1111 1111 1111"}
    resp = await post_event(app_client, {"name": "wishlist_added", "user": user, "data": data})
    assert resp.status == 201, await resp.text()
    got = await resp.json()
    assert got["offer"] is None and got["event"]["conversation_id"] is None
    assert "4111 1111 1111 1111" not in str(got)
    items = await timeline(app_client, got["customer_id"], agent)
    assert [i["kind"] for i in items] == ["event"]
    assert items[0]["payload"]["data"]["sku"] == "LAMP-1"
    assert "1111 1111" not in items[0]["payload"]["data"]["note"]


# -- proactive offers over the chat socket ---------------------------------------------------------------
async def test_a_declined_card_gets_one_offer_per_conversation_in_the_customers_language(
    app_client: Client, agent: dict[str, str]
) -> None:
    ws = await connect(app_client, lang="en", context='{"step":"payment","order_id":"NH-1","amount":1847}')
    await ws.send_json(
        {"type": "event", "name": "payment_failed", "data": {"reason": "card_declined", **ORDER}}
    )
    frames = await until_sentinel(ws)
    offers = [f for f in frames if f["type"] == "proactive"]
    assert len(offers) == 1, frames
    offer = offers[0]
    assert offer["article"]["slug"] == "kort-nekas-en" and offer["lang"] == "en"
    assert offer["title"] == "Card declined – here is how to fix it" and offer["rule"] == "card-declined"
    # The same rule never twice in one conversation; other events store but offer nothing.
    await ws.send_json({"type": "event", "name": "payment_failed", "data": {"reason": "3ds_failed"}})
    await ws.send_json({"type": "event", "name": "checkout_idle", "data": {"seconds": 90}})
    assert [f for f in await until_sentinel(ws) if f["type"] == "proactive"] == []
    # Opening the offer answers with the article; dismissing is stored too.
    await ws.send_json({"type": "offer_opened", "offer": offer["offer"]})
    answers = [f for f in await until_sentinel(ws) if f["type"] == "answer"]
    assert answers and answers[0]["article"]["slug"] == "kort-nekas-en"
    await ws.send_json({"type": "offer_dismissed", "offer": offer["offer"]})
    await ws.send_json({"type": "offer_opened", "offer": 999999})
    errors = [f for f in await until_sentinel(ws) if f["type"] == "error"]
    assert [e["code"] for e in errors] == ["unknown_offer"]
    async with app_client.app[SESSIONS]() as session:
        row = await session.get(ProactiveOffer, offer["offer"])
        assert row is not None and row.opened_at is not None and row.dismissed_at is not None
        customer_id = row.customer_id
    items = await timeline(app_client, customer_id, agent)
    events = [i for i in items if i["kind"] == "event"]
    assert [e["payload"]["name"] for e in events] == ["payment_failed", "payment_failed", "checkout_idle"]
    assert events[0]["text"].startswith("Betalningen misslyckades: card_declined, ")
    assert events[0]["text"].endswith(", order NH-100234, 1 847 kr")
    assert any(i["kind"] == "proactive" for i in items)
    await ws.close()


async def test_bad_event_frames_get_error_frames(app_client: Client) -> None:
    ws = await connect(app_client)
    await ws.send_json({"type": "event", "name": "payment_failed", "data": {"reason": "bad reason"}})
    await ws.send_json({"type": "event", "name": "x" * 80})
    await ws.send_json({"type": "event", "name": "big", "data": {"b": "x" * 3000}})
    await ws.send_json({"type": "offer_opened", "offer": 1})  # no conversation, so no offer of its
    codes = [f["code"] for f in await until_sentinel(ws) if f["type"] == "error"]
    assert codes == ["invalid_reason", "invalid_event", "too_large", "unknown_offer"]
    await ws.close()


async def test_a_server_event_reaches_the_open_widget_of_that_user(app_client: Client) -> None:
    from bot.channels.webchat import sign_user

    user = new_id("u")
    ws = await connect(app_client, user=user, sig=sign_user(user, "test-identity-secret"), lang="sv")
    await until_sentinel(ws)  # opened and looked up: no conversation yet
    resp = await post_event(app_client, {"name": "payment_failed", "reason": "swish_timeout", "user": user})
    assert resp.status == 201, await resp.text()
    sent = (await resp.json())["offer"]
    assert sent["type"] == "proactive" and sent["article"]["slug"] == "swish-fungerar-inte"
    frames = await until_sentinel(ws)
    assert [f["offer"] for f in frames if f["type"] == "proactive"] == [sent["offer"]]
    await ws.close()


async def test_no_offer_while_an_agent_owns_the_conversation(app_client: Client) -> None:
    ws = await connect(app_client)
    await ws.send_json({"type": "human"})
    frames = await until_sentinel(ws)
    assert any(f["type"] == "handoff" for f in frames)
    await ws.send_json({"type": "event", "name": "payment_failed", "data": {"reason": "card_declined"}})
    assert [f for f in await until_sentinel(ws) if f["type"] == "proactive"] == []
    await ws.close()


async def test_quiet_period_between_offers(app_client: Client) -> None:
    app_client.app[SETTINGS].proactive.quiet_minutes = 10
    try:
        ws = await connect(app_client)
        await ws.send_json({"type": "event", "name": "payment_failed", "data": {"reason": "card_declined"}})
        assert len([f for f in await until_sentinel(ws) if f["type"] == "proactive"]) == 1
        # Another rule matches (Swish), but the customer had an offer a moment ago.
        await ws.send_json({"type": "event", "name": "payment_failed", "data": {"reason": "swish_declined"}})
        assert [f for f in await until_sentinel(ws) if f["type"] == "proactive"] == []
        await ws.close()
    finally:
        app_client.app[SETTINGS].proactive.quiet_minutes = 0


async def test_hold_out_customers_get_no_offer_but_are_counted(app_client: Client) -> None:
    app_client.app[SETTINGS].proactive.holdout_share = 0.5
    try:
        results = []
        for _ in range(8):
            resp = await post_event(app_client, {**DECLINED, "user": new_id("u")})
            got = await resp.json()
            results.append((got["customer_id"], got["offer"]))
    finally:
        app_client.app[SETTINGS].proactive.holdout_share = 0.0
    for customer_id, offer in results:
        if held_out(customer_id, 0.5):
            assert offer == {"held_out": True, "rule": "card-declined"}
        else:
            assert offer["type"] == "proactive"
    assert {held_out(c, 0.5) for c, _ in results} == {True, False}  # both groups in 8 customers
    async with app_client.app[SESSIONS]() as session:
        rows = list(
            await session.scalars(
                select(ProactiveOffer).where(ProactiveOffer.customer_id.in_([c for c, _ in results]))
            )
        )
    assert sorted((r.customer_id, r.held_out) for r in rows) == sorted(
        (c, held_out(c, 0.5)) for c, _ in results
    )
    assert all(r.seq is None for r in rows if r.held_out)


async def test_a_handoff_after_a_failed_payment_gets_payment_priority(app_client: Client) -> None:
    from bot.channels.webchat import sign_user

    user = new_id("u")
    resp = await post_event(app_client, {**DECLINED, "user": user, "data": ORDER})
    assert resp.status == 201
    ws = await connect(app_client, user=user, sig=sign_user(user, "test-identity-secret"))
    await ws.send_json({"type": "human"})
    frames = await until_sentinel(ws)
    ticket_id = next(f["ticket"] for f in frames if f["type"] == "handoff")
    other = await connect(app_client)  # no failed payment, no payment page: no priority
    await other.send_json({"type": "human"})
    other_ticket = next(f["ticket"] for f in await until_sentinel(other) if f["type"] == "handoff")
    async with app_client.app[SESSIONS]() as session:
        ticket = await session.get(Ticket, ticket_id)
        plain = await session.get(Ticket, other_ticket)
        assert ticket is not None and plain is not None
        assert ticket.priority == PRIORITY_PAYMENT and plain.priority == 0
    await ws.close()
    await other.close()


async def test_a_chat_event_without_a_rule_writes_the_customer_but_no_conversation(
    app_client: Client, agent: dict[str, str]
) -> None:
    from router.models import ChannelIdentity, Conversation

    visitor = new_id()
    ws = await connect(app_client, visitor, context='{"step":"payment","order_id":"NH-7"}')
    await ws.send_json({"type": "event", "name": "checkout_idle", "data": {"seconds": 45}})
    assert [f for f in await until_sentinel(ws) if f["type"] != "typing"] == []
    async with app_client.app[SESSIONS]() as session:
        customer_id = await session.scalar(
            select(ChannelIdentity.customer_id).where(ChannelIdentity.external_id == visitor)
        )
        assert customer_id is not None
        convs = await session.scalar(select(Conversation.id).where(Conversation.customer_id == customer_id))
        assert convs is None
    [item] = await timeline(app_client, customer_id, agent)
    assert item["context"] == {"step": "payment", "order_id": "NH-7"}
    assert item["text"].startswith("Står still i kassan, ") and item["text"].endswith(
        "order NH-7, 45 s utan framsteg"
    )
    # Their first message later starts the conversation as usual; the event stays on the timeline.
    await ws.send_json({"type": "message", "id": "m1", "text": "hej"})
    assert any(f["type"] == "ack" for f in await until_sentinel(ws))
    kinds = [i["kind"] for i in await timeline(app_client, customer_id, agent)]
    assert kinds[:2] == ["event", "message"]
    await ws.close()
