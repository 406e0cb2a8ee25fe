"""router/api.py through the real app: the agents' ticket list and its filters, one ticket with the
customer's timeline, claiming, notes, presence and teams, and the errors each gives (transfers, resolving
and closing in depth: test_console_ux_api.py, test_ticket_lifecycle.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.router.console_helpers import auth, handoff


async def test_list_filter_get_claim_and_note(app_client: Any, make_user: Callable[..., Any]) -> None:
    token = await make_user("agnes", "agent", team="support")
    ws, ticket_id = await handoff(app_client, "api-1")
    h = auth(token)
    listed = await (await app_client.get("/api/tickets?status=active", headers=h)).json()
    assert ticket_id in [t["id"] for t in listed["tickets"]] and listed["count"] == len(listed["tickets"])
    assert (await (await app_client.get("/api/tickets?status=closed", headers=h)).json())["count"] == 0
    assert (await (await app_client.get("/api/tickets?mine=1", headers=h)).json())["count"] == 0
    resp = await app_client.get("/api/tickets?status=lost", headers=h)
    assert resp.status == 400

    one = await (await app_client.get(f"/api/tickets/{ticket_id}", headers=h)).json()
    assert one["id"] == ticket_id and one["timeline"][0]["kind"] == "message"
    assert (await app_client.post(f"/api/tickets/{ticket_id}/claim", headers=h)).status == 200
    mine = await (await app_client.get("/api/tickets?mine=true", headers=h)).json()
    assert [t["id"] for t in mine["tickets"]] == [ticket_id] and mine["tickets"][0]["status"] == "assigned"

    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/messages", json={"text": "ring kunden", "internal": True}, headers=h
    )
    assert resp.status == 201 and (await resp.json())["internal"] is True
    resp = await app_client.post(f"/api/tickets/{ticket_id}/messages", json={"text": " "}, headers=h)
    assert resp.status == 400
    assert (await app_client.get("/api/tickets/999999", headers=h)).status == 404
    await ws.close()


async def test_presence_teams_and_timeline_errors(app_client: Any, make_user: Callable[..., Any]) -> None:
    h = auth(await make_user("bo", "agent", team="billing"))
    resp = await app_client.post("/api/agents/me/presence", json={"presence": "online"}, headers=h)
    assert resp.status == 200 and (await resp.json())["presence"] == "online"
    resp = await app_client.post("/api/agents/me/presence", json={"presence": "asleep"}, headers=h)
    assert resp.status == 400
    teams = await (await app_client.get("/api/teams", headers=h)).json()
    billing = [t for t in teams["teams"] if t["name"] == "billing"]
    assert (
        billing
        and billing[0]["agents"][0]["name"] == "bo"
        and billing[0]["agents"][0]["presence"] == "online"
    )
    assert (await app_client.get("/api/customers/999999/timeline", headers=h)).status == 404
    assert (await app_client.get("/api/tickets")).status == 401
