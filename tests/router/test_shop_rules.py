"""Proactive rules through the admin API (settings rules, admin rules overriding them), and the outcome
numbers per rule from seeded offers and events, in `/api/stats` and `/api/proactive/outcomes`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from shop_helpers import EVENTS_SECRET, connect, until_sentinel

from bot.app import create_app
from config import Settings
from infra.app_keys import SESSIONS
from router.models import Customer, ProactiveOffer, ShopEvent

NEW_RULE = {
    "event": "payment_failed",
    "reasons": ["invoice_rejected"],
    "message": {
        "sv": "Fakturan gick inte igenom – prova kort eller Swish.",
        "en": "Invoice declined – try a card.",
    },
    "title": {"sv": "Fakturan nekades", "en": "Invoice declined"},
}


async def _client(aiohttp_client: Any, settings: Settings) -> Any:
    settings.proactive.events_secret = SecretStr(EVENTS_SECRET)
    settings.proactive.holdout_share = 0.0
    return await aiohttp_client(create_app(settings))


async def test_rules_crud_and_admin_rules_override_settings_rules(
    aiohttp_client: Any, settings: Settings, make_user: Any
) -> None:
    client = await _client(aiohttp_client, settings)
    from router.auth import create_user

    async with client.app[SESSIONS]() as session, session.begin():
        _, admin_token = await create_user(session, "ada", "admin")
        _, agent_token = await create_user(session, "agnes", "agent")
    admin = {"Authorization": f"Bearer {admin_token}"}
    resp = await client.get("/api/proactive/rules", headers=admin)
    rules = (await resp.json())["rules"]
    assert [(r["key"], r["source"]) for r in rules] == [
        ("card-declined", "settings"),
        ("swish-problem", "settings"),
        ("invoice-rejected", "settings"),
    ]
    assert (
        await client.get("/api/proactive/rules", headers={"Authorization": f"Bearer {agent_token}"})
    ).status == 403
    # An admin rule with a settings rule's key overrides it: the invoice offer is now a message only.
    resp = await client.put("/api/proactive/rules/invoice-rejected", json=NEW_RULE, headers=admin)
    assert resp.status == 201, await resp.text()
    ws = await connect(client, lang="en")
    await ws.send_json({"type": "event", "name": "payment_failed", "data": {"reason": "invoice_rejected"}})
    [offer] = [f for f in await until_sentinel(ws) if f["type"] == "proactive"]
    assert (offer["title"], offer["article"], offer["rule"]) == ("Invoice declined", None, "invoice-rejected")
    assert offer["text"] == "Invoice declined – try a card."
    # Opening a message-only offer shows the message as a notice.
    await ws.send_json({"type": "offer_opened", "offer": offer["offer"]})
    notices = [f for f in await until_sentinel(ws) if f["type"] == "notice"]
    assert [n["text"] for n in notices] == ["Invoice declined – try a card."]
    await ws.close()
    # Turned off; a new admin-only rule; bad rules are 400s naming the problem.
    resp = await client.put(
        "/api/proactive/rules/invoice-rejected", json={**NEW_RULE, "enabled": False}, headers=admin
    )
    assert resp.status == 200
    body = {"key": "cart-help", "event": "cart_abandoned", "message": {"sv": "Behöver du hjälp?"}}
    assert (await client.post("/api/proactive/rules", json=body, headers=admin)).status == 201
    bad = [
        ({"key": "x", "event": "payment_failed"}, "article"),  # offers nothing
        ({"key": "Bad Key!", "event": "e", "article": "kort-nekas"}, "key"),
        ({"key": "y", "event": "e", "article": "kort-nekas", "title": {"sv": "x" * 600}}, "title"),
        ({"key": "z", "event": "e", "article": "kort-nekas", "surprise": 1}, "surprise"),
    ]
    for rule, word in bad:
        resp = await client.post("/api/proactive/rules", json=rule, headers=admin)
        assert resp.status == 400, (rule, await resp.text())
        error = (await resp.json())["error"]
        assert error["code"] == "invalid_rule" and word in error["message"], error
    rules = {
        r["key"]: r for r in (await (await client.get("/api/proactive/rules", headers=admin)).json())["rules"]
    }
    assert rules["invoice-rejected"]["enabled"] is False and rules["invoice-rejected"]["overrides"] is True
    assert rules["cart-help"]["source"] == "admin"
    # Deleting the override brings the settings rule back; deleting a settings rule is a 404.
    assert (await client.delete("/api/proactive/rules/invoice-rejected", headers=admin)).status == 200
    rules = {
        r["key"]: r for r in (await (await client.get("/api/proactive/rules", headers=admin)).json())["rules"]
    }
    assert (
        rules["invoice-rejected"]["source"] == "settings"
        and rules["invoice-rejected"]["article"] == "faktura"
    )
    resp = await client.delete("/api/proactive/rules/swish-problem", headers=admin)
    assert resp.status == 404


async def test_outcomes_per_rule_against_the_hold_out(
    aiohttp_client: Any, settings: Settings, admin_headers: dict[str, str]
) -> None:
    client = await _client(aiohttp_client, settings)
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
