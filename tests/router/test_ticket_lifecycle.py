"""Ticket lifecycle ends: closing, stale resolved tickets, and VIP vouched for by the shop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.channels.webchat import sign_user
from infra.app_keys import SESSIONS
from infra.db import utcnow
from router.models import Customer, Ticket

SECRET = "test-identity-secret"


async def _handoff(app_client: Any, visitor: str, **params: str) -> int:
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": visitor, **params})
    await ws.send_json({"type": "human"})
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] == "handoff":
            await ws.close()
            return int(frame["ticket"])


async def test_close_after_resolve_and_not_before(app_client: Any, agent_headers: dict[str, str]) -> None:
    ticket_id = await _handoff(app_client, "life-1")
    resp = await app_client.post(f"/api/tickets/{ticket_id}/claim", headers=agent_headers)
    assert resp.status == 200
    resp = await app_client.post(f"/api/tickets/{ticket_id}/resolve", json={}, headers=agent_headers)
    assert (await resp.json())["status"] == "resolved"
    resp = await app_client.post(f"/api/tickets/{ticket_id}/close", headers=agent_headers)
    body = await resp.json()
    assert resp.status == 200 and body["status"] == "closed" and body["closed_at"]
    resp = await app_client.post(f"/api/tickets/{ticket_id}/close", headers=agent_headers)
    assert resp.status == 409  # closed is final


async def test_resolved_ticket_past_the_window_is_closed_not_reopened(
    app_client: Any, agent_headers: dict[str, str]
) -> None:
    first = await _handoff(app_client, "life-2")
    await app_client.post(f"/api/tickets/{first}/resolve", json={}, headers=agent_headers)
    async with app_client.app[SESSIONS]() as session, session.begin():
        ticket = await session.get(Ticket, first)
        assert ticket is not None
        ticket.resolved_at = utcnow() - timedelta(hours=1000)  # far past reopen_window_hours
    second = await _handoff(app_client, "life-2")
    assert second != first
    async with app_client.app[SESSIONS]() as session:
        assert (await session.get(Ticket, first)).status == "closed"  # type: ignore[union-attr]


async def test_resolved_ticket_within_the_window_reopens(
    app_client: Any, agent_headers: dict[str, str]
) -> None:
    first = await _handoff(app_client, "life-3")
    await app_client.post(f"/api/tickets/{first}/resolve", json={}, headers=agent_headers)
    assert await _handoff(app_client, "life-3") == first


async def test_vip_only_when_the_shop_signs_it(app_client: Any) -> None:
    signed = {"user": "vip-anna", "sig": sign_user("vip-anna", SECRET)}
    await _handoff(app_client, "life-4", **signed, vip_sig="00" * 32)  # forged: ignored
    async with app_client.app[SESSIONS]() as session:
        anna = await session.scalar(
            select(Customer).where(
                Customer.id
                == (await session.scalar(select(Ticket.customer_id).order_by(Ticket.id.desc()).limit(1)))
            )
        )
        assert anna is not None and anna.vip is False
    ticket_id = await _handoff(
        app_client,
        "life-5",
        user="vip-bo",
        sig=sign_user("vip-bo", SECRET),
        vip_sig=sign_user("vip:vip-bo", SECRET),
    )
    async with app_client.app[SESSIONS]() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        customer = await session.get(Customer, ticket.customer_id)
        assert customer is not None and customer.vip is True
        assert ticket.priority >= 100  # VIPs go first
