"""router/shop_events/service.py on the real app: proactive offers over the chat socket (once per
conversation, in the customer's language, a quiet period, not while an agent owns the conversation,
hold-out customers counted) and payment priority on a handoff after a failed payment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from infra.app_keys import SESSIONS, SETTINGS
from router.models import ProactiveOffer, Ticket
from router.shop_events.rules import held_out
from router.tickets import PRIORITY_PAYMENT
from tests.router.shop_helpers import (
    DECLINED,
    ORDER,
    Client,
    agent_headers,
    connect,
    new_id,
    post_event,
    shop_app,
    timeline,
    until_sentinel,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app_client(demo_db_file: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    """One app for the module (overrides conftest's function-scoped `app_client`)."""
    async with shop_app(demo_db_file, tmp_path_factory.mktemp("shop")) as client:
        yield client


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def agent(app_client: Client) -> dict[str, str]:
    return await agent_headers(app_client)


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


async def test_with_no_conversation_every_offer_of_the_customer_counts(app_client: Client) -> None:
    """The race two processes ran into: process A reserves an offer before the customer has a conversation
    (conversation NULL), then its sending makes one and names it on the offer; process B, which read "no
    conversation" a moment before, must still see that offer as done. Here the offer already names a
    conversation while `_eligible` finds none current (it was merged away): the rule is done."""
    from router.models import Conversation, Customer
    from router.shop_events.http import SHOP_EVENTS

    service = app_client.app[SHOP_EVENTS]
    async with app_client.app[SESSIONS]() as session, session.begin():
        other, customer = Customer(), Customer()
        session.add_all([other, customer])
        await session.flush()
        kept = Conversation(customer_id=other.id, context={}, last_address={}, bot_state={})
        session.add(kept)
        await session.flush()
        gone = Conversation(
            customer_id=customer.id, context={}, last_address={}, bot_state={}, merged_into_id=kept.id
        )
        session.add(gone)
        await session.flush()
        session.add(
            ProactiveOffer(rule_key="card-declined", customer_id=customer.id, conversation_id=gone.id)
        )
        await session.flush()
        rules = [{"key": "card-declined"}, {"key": "other-rule"}]
        chosen = await service._eligible(session, customer.id, rules)
    assert chosen is not None and chosen[0]["key"] == "other-rule" and chosen[1] is None
