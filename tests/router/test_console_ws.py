"""`/agent/ws` (router/console_ws.py) keeping consoles live: auth, snapshot, ticket and message push."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from router.web import BUS

QUESTION = "Kan jag betala med bitcoin eller annan kryptovaluta hos er?"


Match = Callable[[dict[str, Any]], bool]


async def _next(ws: Any, kind: str, match: Match = lambda f: True) -> dict[str, Any]:
    """The next frame of this type that matches; other pushes are skipped."""
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] == kind and match(frame):
            return frame


async def _handoff(app_client: Any, visitor: str) -> tuple[Any, int]:
    """A web customer at the payment step asks for a person; (customer socket, ticket id)."""
    ws = await app_client.ws_connect(
        "/ws/chat",
        params={"visitor": visitor, "context": '{"step":"payment","order_id":"NH-7","amount":990}'},
    )
    await ws.send_json({"type": "message", "id": "m1", "text": QUESTION})
    await ws.send_json({"type": "human"})
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] == "handoff" and frame.get("ticket"):
            return ws, frame["ticket"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer kr_not-a-real-token"}])
async def test_ws_rejects_missing_or_bad_token(app_client: Any, headers: dict[str, str]) -> None:
    if headers:  # a token in the upgrade's header is checked before it (browsers: the first frame)
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await app_client.ws_connect("/agent/ws", headers=headers)
        assert err.value.status == 401
    resp = await app_client.get("/agent/ws", headers=headers)  # a plain GET shows the JSON error
    assert resp.status == 401
    assert (await resp.json())["error"]["code"] == "unauthorized"


async def test_snapshot_on_connect(app_client: Any, make_user: Callable[..., Any]) -> None:
    token = await make_user("agnes", "agent", team="support")
    customer, ticket_id = await _handoff(app_client, "console-snap")
    ws = await app_client.ws_connect("/agent/ws", headers={"Authorization": f"Bearer {token}"})
    snap = await ws.receive_json(timeout=30)
    assert snap["type"] == "snapshot"
    assert snap["agent"] == {**snap["agent"], "name": "agnes", "team": "support", "presence": "away"}
    assert snap["mine"] == []
    queued = next(t for t in snap["queue"] if t["id"] == ticket_id)
    assert queued["status"] == "open"
    assert queued["context"]["step"] == "payment"
    assert queued["customer"]["vip"] is False
    await ws.close()
    await customer.close()


async def test_admin_token_also_connects(app_client: Any, make_user: Callable[..., Any]) -> None:
    token = await make_user("ada", "admin")
    ws = await app_client.ws_connect("/agent/ws", headers={"Authorization": f"Bearer {token}"})
    assert (await ws.receive_json(timeout=30))["type"] == "snapshot"
    await ws.close()


async def test_handoff_and_reply_are_pushed_live(app_client: Any, make_user: Callable[..., Any]) -> None:
    token = await make_user("agnes", "agent")
    headers = {"Authorization": f"Bearer {token}"}
    console = await app_client.ws_connect("/agent/ws", headers={"Authorization": f"Bearer {token}"})
    assert (await console.receive_json(timeout=30))["type"] == "snapshot"

    customer, ticket_id = await _handoff(app_client, "console-live")
    opened = await _next(console, "ticket", lambda f: f["ticket"]["id"] == ticket_id)
    assert opened["event"] == "opened"
    assert opened["ticket"]["status"] == "open"
    assert opened["ticket"]["question"] == QUESTION
    handoff = await _next(console, "message", lambda f: f["ticket_id"] == ticket_id)
    assert handoff["message"]["kind"] == "handoff"

    resp = await app_client.post(f"/api/tickets/{ticket_id}/claim", headers=headers)
    assert resp.status == 200
    claimed = await _next(console, "ticket", lambda f: f["event"] == "claimed")
    assert claimed["ticket"]["status"] == "assigned"
    assert claimed["ticket"]["assignee"] == "agnes"

    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/messages", json={"text": "Nej, bara kort och Swish."}, headers=headers
    )
    assert resp.status == 201
    pushed = await _next(console, "message", lambda f: f["message"]["kind"] == "agent_message")
    assert pushed["ticket_id"] == ticket_id
    assert pushed["conversation_id"] == opened["ticket"]["conversation_id"]
    assert pushed["message"]["text"] == "Nej, bara kort och Swish."
    assert pushed["message"]["author"] == "agent"
    assert pushed["message"]["payload"]["agent"] == "agnes"
    assert pushed["message"]["internal"] is False

    # The customer writes back: the console sees it too, with the channel it came on.
    await customer.send_json({"type": "message", "id": "m2", "text": "Okej, tack!"})
    incoming = await _next(console, "message", lambda f: f["message"]["author"] == "customer")
    assert incoming["message"]["text"] == "Okej, tack!"
    assert incoming["message"]["channel"] == "web"

    # Internal notes reach consoles, marked internal.
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/messages", json={"text": "VIP?", "internal": True}, headers=headers
    )
    note = await _next(console, "message", lambda f: f["message"]["kind"] == "note")
    assert note["message"]["internal"] is True

    await console.close()
    await customer.close()


async def test_closed_console_unsubscribes(app_client: Any, make_user: Callable[..., Any]) -> None:
    token = await make_user("agnes", "agent")
    bus = app_client.app[BUS]
    before = {topic: len(bus._listeners.get(topic, ())) for topic in ("tickets", "conversation")}
    console = await app_client.ws_connect("/agent/ws", headers={"Authorization": f"Bearer {token}"})
    await console.receive_json(timeout=30)
    assert len(bus._listeners["tickets"]) == before["tickets"] + 1
    await console.close()
    for _ in range(50):  # the server notices the close on its next turn
        if len(bus._listeners["tickets"]) == before["tickets"]:
            break
        await asyncio.sleep(0.05)
    assert {topic: len(bus._listeners.get(topic, ())) for topic in before} == before


async def test_a_replaced_token_closes_the_users_open_console(
    app_client: Any, make_user: Callable[..., Any]
) -> None:
    """`POST /api/users/{id}/token` (admin): the agent's open console is told and closed with 4401; the
    old token is refused from then on and the new one works. An agent may not replace tokens."""
    old = await make_user("vera", "agent")
    admin = {"Authorization": f"Bearer {await make_user('ada', 'admin')}"}
    ws = await app_client.ws_connect("/agent/ws", headers={"Authorization": f"Bearer {old}"})
    snapshot = await _next(ws, "snapshot")
    user_id = snapshot["agent"]["id"]

    refused = await app_client.post(f"/api/users/{user_id}/token", headers={"Authorization": f"Bearer {old}"})
    assert refused.status == 403
    resp = await app_client.post(f"/api/users/{user_id}/token", headers=admin)
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    new = body["token"]
    assert body["id"] == user_id and body["name"] == "vera" and new != old

    frame = await _next(ws, "error")
    assert frame["code"] == "token_revoked"
    assert (await ws.receive(timeout=10)).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 4401
    resp = await app_client.get("/api/tickets", headers={"Authorization": f"Bearer {old}"})
    assert resp.status == 401
    resp = await app_client.get("/api/tickets", headers={"Authorization": f"Bearer {new}"})
    assert resp.status == 200
    missing = await app_client.post("/api/users/99999/token", headers=admin)
    assert missing.status == 404
