"""router/shop_events/rules.py: settings and admin rules (through the admin API), which events a rule
matches, the hold-out group."""

from __future__ import annotations

from typing import Any

import pytest

from config import Settings, ValidationError
from infra.app_keys import SESSIONS
from router.auth import create_user
from router.shop_events.catalog import EventIn
from router.shop_events.rules import held_out, matches, parse_rule
from tests.router.shop_helpers import (
    connect,
    start_app,
    until_sentinel,
)


async def test_hold_out_is_fixed_per_customer_and_near_its_share() -> None:
    share = sum(held_out(c, 0.1) for c in range(1, 20001)) / 20000
    assert 0.09 < share < 0.11
    assert [held_out(c, 0.1) for c in range(50)] == [held_out(c, 0.1) for c in range(50)]
    assert not any(held_out(c, 0.0) for c in range(1000))


NEW_RULE = {
    "event": "payment_failed",
    "reasons": ["invoice_rejected"],
    "message": {
        "sv": "Fakturan gick inte igenom – prova kort eller Swish.",
        "en": "Invoice declined – try a card.",
    },
    "title": {"sv": "Fakturan nekades", "en": "Invoice declined"},
}


async def test_rules_crud_and_admin_rules_override_settings_rules(
    aiohttp_client: Any, settings: Settings, make_user: Any
) -> None:
    client = await start_app(aiohttp_client, settings)

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


def test_parse_rule_validates_with_the_settings_schema() -> None:
    spec = parse_rule(
        "swish", {"event": "payment_failed", "reasons": ["swish_timeout"], "message": {"sv": "Hej"}}
    )
    assert (spec.key, spec.event, spec.reasons, spec.enabled) == (
        "swish",
        "payment_failed",
        ["swish_timeout"],
        True,
    )
    # "source" and "key" from a GET are ignored, so a rule can be sent back as it was read
    assert parse_rule("swish", {**spec.model_dump(), "source": "admin"}) == spec


@pytest.mark.parametrize(
    "body",
    [
        {"event": "payment_failed"},  # offers nothing
        {"event": "Payment", "message": {"sv": "x"}},
        {"event": "payment_failed", "message": {"sv": "x"}, "colour": "red"},  # misspelt field
        {"event": "payment_failed", "message": {"sv": "x" * 501}},
        {"event": "payment_failed", "message": {"toolonglang": "x"}},
    ],
)
def test_parse_rule_refuses_bad_rules(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as bad:
        parse_rule("k", body)
    assert bad.value.code == "invalid_rule"


def test_matches_by_event_reason_and_enabled() -> None:
    declined = EventIn("payment_failed", "card_declined")
    assert matches({"event": "payment_failed"}, declined)
    assert matches({"event": "payment_failed", "reasons": ["card_declined", "3ds_failed"]}, declined)
    assert not matches({"event": "payment_failed", "reasons": ["swish_timeout"]}, declined)
    assert not matches({"event": "checkout_idle"}, declined)
    assert not matches({"event": "payment_failed", "enabled": False}, declined)
