"""Shop events on PostgreSQL with two app instances (two processes of one deployment): a signed event
posted to one reaches the widget held by the other (the `shop_events` topic and the offer frame cross
over LISTEN/NOTIFY), and a replay is refused by either."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.app import create_app
from bot.channels.webchat import sign_user
from tests.router.shop_helpers import EVENTS_SECRET, connect, new_id, signed, until_sentinel
from tests.settings_for import settings_for

pytestmark = pytest.mark.postgres


def _settings(url: str) -> Any:
    return settings_for(url, proactive={"events_secret": EVENTS_SECRET, "holdout_share": 0.0})


async def test_an_event_posted_to_one_process_reaches_a_widget_on_the_other(
    aiohttp_client: Any, pg_kb_db_url: str
) -> None:
    a = await aiohttp_client(create_app(_settings(pg_kb_db_url)))
    b = await aiohttp_client(create_app(_settings(pg_kb_db_url)))
    user = new_id("u")
    ws = await connect(b, user=user, sig=sign_user(user, "test-identity-secret"), lang="en")
    await until_sentinel(ws)
    body = {
        "name": "payment_failed",
        "reason": "card_declined",
        "user": user,
        "lang": "en",
        "data": {"order_id": "NH-9"},
    }
    raw, headers = signed(body)
    resp = await a.post("/api/events", data=raw, headers=headers)
    assert resp.status == 201, await resp.text()
    offer = (await resp.json())["offer"]
    assert offer["article"]["slug"] == "kort-nekas-en"
    got = await asyncio.wait_for(ws.receive_json(), 20)  # live: it crosses over NOTIFY, no resume needed
    assert got["type"] == "proactive" and got["offer"] == offer["offer"] and got["seq"] == offer["seq"]
    for client in (a, b):
        again = await client.post("/api/events", data=raw, headers=headers)
        assert again.status == 401 and (await again.json())["error"]["code"] == "replayed"
    await ws.close()


async def test_one_rule_offers_once_when_two_processes_get_the_events_at_once(
    aiohttp_client: Any, pg_kb_db_url: str
) -> None:
    """Failed payments for one customer posted to both processes at the same instant (a retrying shop,
    the widget and the server both telling): the rule offers once; the customer row lock decides."""
    from sqlalchemy import select

    from infra.app_keys import SESSIONS
    from router.models import ProactiveOffer

    settings = settings_for(
        pg_kb_db_url,
        proactive={"events_secret": EVENTS_SECRET, "holdout_share": 0.0, "quiet_minutes": 0},
    )
    a = await aiohttp_client(create_app(settings))
    b = await aiohttp_client(create_app(settings))
    user = new_id("u")
    ws = await connect(a, user=user, sig=sign_user(user, "test-identity-secret"), lang="sv")
    await until_sentinel(ws)  # the customer exists before the events race

    async def post(client: Any, i: int) -> int:
        body = {"name": "payment_failed", "reason": "card_declined", "user": user, "data": {"try": i}}
        raw, headers = signed(body)
        resp = await client.post("/api/events", data=raw, headers=headers)
        return resp.status

    statuses = await asyncio.gather(*(post(a if i % 2 else b, i) for i in range(10)))
    assert all(status in (200, 201) for status in statuses), statuses
    async with a.app[SESSIONS]() as session:
        offers = list(await session.scalars(select(ProactiveOffer.rule_key)))  # this test's own database
    assert offers == ["card-declined"], offers
    await ws.close()
