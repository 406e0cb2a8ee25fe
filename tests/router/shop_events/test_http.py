"""router/shop_events/http.py: the signed `POST /api/events` on the real app (missing, bad, stale and replayed
signatures; clear 4xx for bad events; events on the customer's timeline, masked, and reaching their open
widget) and the page context an event carries (the rules API: test_rules.py)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from infra.app_keys import SESSIONS
from router.models import ShopEvent
from router.shop_events.http import page_context
from tests.router.shop_helpers import (
    DECLINED,
    ORDER,
    Client,
    agent_headers,
    connect,
    new_id,
    post_event,
    shop_app,
    signed,
    timeline,
    until_sentinel,
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_client(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    """One app for the module (overrides conftest's function-scoped `app_client`)."""
    async with shop_app(demo_db_file, tmp_path_factory.mktemp("shop")) as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent(app_client: Client) -> dict[str, str]:
    return await agent_headers(app_client)


def test_page_context_keeps_known_scalar_keys_masked_and_cut() -> None:
    raw = {
        "step": "payment",
        "order_id": "kort 4111111111111111",
        "amount": 1847,
        "currency": "x" * 300,
        "cart": [1, 2],
        "ok": True,
    }
    assert page_context(raw) == {
        "step": "payment",
        "order_id": "kort [kort ••••1111]",
        "amount": 1847,
        "currency": "x" * 200,
    }


def test_page_context_of_anything_else_is_empty() -> None:
    assert page_context(None) == {} and page_context(["step"]) == {} and page_context("step") == {}
    assert page_context({"amount": True, "step": None}) == {}


@pytest.mark.asyncio(loop_scope="module")
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


@pytest.mark.asyncio(loop_scope="module")
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
    from router.shop_events.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_event
    from tests.router.shop_helpers import EVENTS_SECRET

    stamp = str(int(time.time()))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign_event(EVENTS_SECRET, stamp, raw)}


@pytest.mark.asyncio(loop_scope="module")
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


@pytest.mark.asyncio(loop_scope="module")
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
