"""router/shop_events/outcomes.py: the outcome numbers per rule from seeded offers and events, in
`/api/stats` and `/api/proactive/outcomes`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from config import Settings
from infra.app_keys import SESSIONS
from router.models import Customer, ProactiveOffer, ShopEvent
from tests.router.shop_helpers import start_app


async def test_outcomes_per_rule_against_the_hold_out(
    aiohttp_client: Any, settings: Settings, admin_headers: dict[str, str]
) -> None:
    client = await start_app(aiohttp_client, settings)
    now = datetime.now(UTC) - timedelta(hours=2)
    # card-declined: 4 shown (3 opened, 1 dismissed; 2 paid within 30 min, 1 paid too late), 2 held out
    # (1 paid); swish-problem: 1 shown, nothing else.
    plan = [
        ("card-declined", False, True, False, 10),
        ("card-declined", False, True, False, 29),
        ("card-declined", False, True, False, 45),  # too late
        ("card-declined", False, False, True, None),
        ("card-declined", True, False, False, 5),
        ("card-declined", True, False, False, None),
        ("swish-problem", False, False, False, None),
    ]
    async with client.app[SESSIONS]() as session, session.begin():
        for key, held, opened, dismissed, paid_after in plan:
            customer = Customer()
            session.add(customer)
            await session.flush()
            session.add(
                ProactiveOffer(
                    rule_key=key, customer_id=customer.id, held_out=held, created_at=now,
                    opened_at=now + timedelta(minutes=1) if opened else None,
                    dismissed_at=now + timedelta(minutes=1) if dismissed else None,
                )
            )  # fmt: skip
            if paid_after is not None:
                session.add(
                    ShopEvent(
                        customer_id=customer.id, name="payment_succeeded", source="server", data={},
                        context={}, created_at=now + timedelta(minutes=paid_after),
                    )
                )  # fmt: skip
    resp = await client.get("/api/stats", headers=admin_headers)
    assert resp.status == 200
    rows = {r["rule"]: r for r in (await resp.json())["proactive"]}
    card = rows["card-declined"]
    assert (card["shown"], card["opened"], card["dismissed"], card["recovered"]) == (4, 3, 1, 2)
    assert (card["holdout"], card["holdout_recovered"], card["opened_recovered"]) == (2, 1, 2)
    assert (card["recovered_rate"], card["holdout_recovered_rate"], card["lift"]) == (0.5, 0.5, 0.0)
    assert card["open_rate"] == 0.75
    assert rows["swish-problem"]["shown"] == 1 and rows["swish-problem"]["lift"] is None
    resp = await client.get("/api/proactive/outcomes", headers=admin_headers)
    assert {r["rule"] for r in (await resp.json())["rules"]} == {"card-declined", "swish-problem"}
    yesterday = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    resp = await client.get("/api/proactive/outcomes", params={"to": yesterday}, headers=admin_headers)
    assert (await resp.json())["rules"] == []
