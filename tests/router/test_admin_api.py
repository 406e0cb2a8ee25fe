"""Admin API: VIP flag, users (create with a one-time token, change team/capacity), merge undo."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from infra.app_keys import SESSIONS
from router import tickets as tk
from router.identity import Evidence, resolve_customer
from router.models import ChannelIdentity, User
from router.web import ROUTER


async def test_vip_flag_reprioritises_open_tickets(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    router = app_client.app[ROUTER]
    customer_id, conv_id = await router.identify([Evidence("web_visitor", "vip-1", False)])
    ticket, _, _ = await router.tickets.handoff(
        conv_id, reason="asked_for_human", question=None, attempts=[], tags=[]
    )
    assert ticket.priority == 0

    resp = await app_client.post(
        f"/api/customers/{customer_id}/vip", json={"vip": True}, headers=admin_headers
    )
    assert resp.status == 200
    assert await resp.json() == {"id": customer_id, "vip": True, "reprioritised_tickets": [ticket.id]}
    resp = await app_client.get(f"/api/tickets/{ticket.id}", headers=agent_headers)
    assert (await resp.json())["priority"] == tk.PRIORITY_VIP
    resp = await app_client.get(f"/api/customers/{customer_id}/timeline", headers=agent_headers)
    assert (await resp.json())["customer"]["vip"] is True

    resp = await app_client.post(
        f"/api/customers/{customer_id}/vip", json={"vip": False}, headers=admin_headers
    )
    assert (await resp.json())["vip"] is False
    resp = await app_client.get(f"/api/tickets/{ticket.id}", headers=agent_headers)
    assert (await resp.json())["priority"] == 0

    for path, body, status in (
        (f"/api/customers/{customer_id}/vip", {"vip": "yes"}, 400),
        ("/api/customers/999999/vip", {"vip": True}, 404),
        ("/api/customers/abc/vip", {"vip": True}, 400),
    ):
        resp = await app_client.post(path, json=body, headers=admin_headers)
        assert resp.status == status, path
        assert "error" in await resp.json()
    resp = await app_client.post(
        f"/api/customers/{customer_id}/vip", json={"vip": True}, headers=agent_headers
    )
    assert resp.status == 403


async def test_users_create_list_patch(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    resp = await app_client.post(
        "/api/users",
        json={"name": "nils", "role": "agent", "team": "payments", "capacity": 0},
        headers=admin_headers,
    )
    assert resp.status == 201
    created = await resp.json()
    token = created["token"]
    assert token and created["name"] == "nils" and created["role"] == "agent"
    assert created["team"] == "payments" and created["capacity"] == 0
    nils = {"Authorization": f"Bearer {token}"}

    # The token works, with the agent role only.
    assert (await app_client.get("/api/tickets", headers=nils)).status == 200
    assert (await app_client.get("/api/users", headers=nils)).status == 403
    async with app_client.app[SESSIONS]() as session:
        stored = await session.scalar(select(User).where(User.name == "nils"))
        assert stored is not None and token not in (stored.token_hash, stored.name)

    resp = await app_client.get("/api/users", headers=admin_headers)
    users = {u["name"]: u for u in (await resp.json())["users"]}
    assert set(users) >= {"ada", "agnes", "nils"}
    assert all("token" not in u and "token_hash" not in u for u in users.values())
    assert users["nils"]["active_tickets"] == 0 and users["nils"]["presence"] == "away"

    # nils goes online at capacity 0: a payments ticket waits; raising the capacity hands it over.
    assert (
        await app_client.post("/api/agents/me/presence", json={"presence": "online"}, headers=nils)
    ).status == 200
    router = app_client.app[ROUTER]
    _, conv_id = await router.identify([Evidence("web_visitor", "pay-1", False)])
    ticket, _, _ = await router.tickets.handoff(
        conv_id, reason="no_answer", question="kortet nekas", attempts=[], tags=[["betalning"]]
    )
    assert ticket.team == "payments" and ticket.status == "open"
    resp = await app_client.patch(f"/api/users/{created['id']}", json={"capacity": 1}, headers=admin_headers)
    assert resp.status == 200
    body = await resp.json()
    assert body["capacity"] == 1 and body["team"] == "payments" and body["active_tickets"] == 1
    resp = await app_client.get(f"/api/tickets/{ticket.id}", headers=nils)
    assert (await resp.json())["assignee_id"] == created["id"]

    resp = await app_client.patch(
        f"/api/users/{created['id']}", json={"team": "logistics", "capacity": None}, headers=admin_headers
    )
    body = await resp.json()
    assert body["team"] == "logistics" and body["capacity"] is None

    for method, path, payload, status in (
        ("post", "/api/users", {"name": "nils", "role": "agent"}, 409),
        ("post", "/api/users", {"name": "olle", "role": "boss"}, 400),
        ("post", "/api/users", {"role": "agent"}, 400),
        ("post", "/api/users", {"name": "olle", "role": "agent", "capacity": -1}, 400),
        ("patch", f"/api/users/{created['id']}", {"role": "admin"}, 400),
        ("patch", f"/api/users/{created['id']}", {"capacity": "many"}, 400),
        ("patch", "/api/users/999999", {"capacity": 2}, 404),
    ):
        resp = await getattr(app_client, method)(path, json=payload, headers=admin_headers)
        assert resp.status == status, (method, path, payload)
        assert "error" in await resp.json()
    resp = await app_client.post("/api/users", json={"name": "eve", "role": "admin"}, headers=agent_headers)
    assert resp.status == 403


async def test_merge_listed_and_undone(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    sessions = app_client.app[SESSIONS]
    verified = [Evidence("web_user", "shop-user-7", True)]
    async with sessions() as session, session.begin():
        # The shop's user 7 is known (verified, from another browser) ...
        known = (await resolve_customer(session, [Evidence("web_visitor", "laptop", False), *verified])).id
        # ... an anonymous visitor writes from the phone ...
        anonymous = (await resolve_customer(session, [Evidence("web_visitor", "phone", False)])).id
    async with sessions() as session, session.begin():
        # ... and then logs in on that phone: the anonymous customer is merged into user 7.
        merged = await resolve_customer(session, [Evidence("web_visitor", "phone", False), *verified])
        assert merged.id == known != anonymous

    resp = await app_client.get(f"/api/customers/{known}/merges", headers=admin_headers)
    assert resp.status == 200
    merges = (await resp.json())["merges"]
    assert len(merges) == 1
    merge = merges[0]
    assert merge["source_customer_id"] == anonymous and merge["target_customer_id"] == known
    assert merge["undone_at"] is None and merge["evidence"]
    resp = await app_client.get(f"/api/customers/{anonymous}/merges", headers=admin_headers)
    assert [m["id"] for m in (await resp.json())["merges"]] == [merge["id"]]

    assert (await app_client.post(f"/api/merges/{merge['id']}/undo", headers=agent_headers)).status == 403
    resp = await app_client.post(f"/api/merges/{merge['id']}/undo", headers=admin_headers)
    assert resp.status == 200
    assert (await resp.json())["undone_at"] is not None
    async with sessions() as session:
        phone = await session.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.kind == "web_visitor", ChannelIdentity.external_id == "phone"
            )
        )
        assert phone is not None and phone.customer_id == anonymous
    resp = await app_client.get(f"/api/customers/{anonymous}/timeline", headers=agent_headers)
    idents = {(i["kind"], i["external_id"]) for i in (await resp.json())["customer"]["identities"]}
    assert idents == {("web_visitor", "phone")}

    resp = await app_client.post(f"/api/merges/{merge['id']}/undo", headers=admin_headers)
    assert resp.status == 409
    assert (await app_client.post("/api/merges/999999/undo", headers=admin_headers)).status == 404
    assert (await app_client.get("/api/customers/999999/merges", headers=admin_headers)).status == 404
