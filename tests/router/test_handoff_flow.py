"""The whole handoff flow through the real app, and learning from a resolution."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from infra.app_keys import SESSIONS
from router.models import Ticket

QUESTION = "Kan jag betala med bitcoin eller annan kryptovaluta hos er?"


async def _reply(ws: Any) -> dict[str, Any]:
    """The next server frame that is not an ack, a notice or a typing indicator."""
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] not in ("ack", "notice", "typing"):
            return frame


async def test_handoff_claim_reply_resolve_csat_then_learned(
    app_client: Any, agent_headers: dict[str, str]
) -> None:
    ws = await app_client.ws_connect(
        "/ws/chat",
        params={"visitor": "flow-1", "context": '{"step":"payment","order_id":"NH-1","amount":1847}'},
    )
    await ws.send_json({"type": "message", "id": "m1", "text": QUESTION})
    first = await _reply(ws)
    if first["type"] != "handoff":  # the bot may try, but it cannot know this: ask for a person
        await ws.send_json({"type": "human"})
        first = await _reply(ws)
    assert first["type"] == "handoff"
    ticket_id = first["ticket"]

    resp = await app_client.get("/api/tickets", params={"status": "open"}, headers=agent_headers)
    queue = (await resp.json())["tickets"]
    ticket = next(t for t in queue if t["id"] == ticket_id)
    assert ticket["question"] == QUESTION  # the real question, not the ask for a person
    assert ticket["context"]["step"] == "payment"
    assert ticket["priority"] > 0  # stuck at the payment step goes first

    resp = await app_client.post(f"/api/tickets/{ticket_id}/claim", headers=agent_headers)
    assert (await resp.json())["status"] == "assigned"
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/messages",
        json={"text": "Nej, bara kort, Swish och faktura."},
        headers=agent_headers,
    )
    assert resp.status == 201
    frame = await _reply(ws)
    assert frame == {
        **frame,
        "type": "agent_message",
        "text": "Nej, bara kort, Swish och faktura.",
        "agent": "agnes",
    }

    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/resolve", json={"article": "saker-betalning"}, headers=agent_headers
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert body["status"] == "resolved"
    assert body["learned_question"] == QUESTION
    assert (await _reply(ws))["type"] == "csat_request"
    await ws.send_json({"type": "csat", "score": 5})
    await ws.receive_json(timeout=10)
    async with app_client.app[SESSIONS]() as session:
        stored = await session.scalar(select(Ticket).where(Ticket.id == ticket_id))
        assert stored is not None and stored.csat == 5 and stored.first_response_at is not None

    # The bot has learned: the same question from a new customer is answered with that article.
    ws2 = await app_client.ws_connect("/ws/chat", params={"visitor": "flow-2"})
    await ws2.send_json({"type": "message", "id": "n1", "text": QUESTION})
    answer = await _reply(ws2)
    assert answer["type"] == "answer"
    assert answer["article"]["slug"] == "saker-betalning"

    resp = await app_client.get(f"/api/customers/{stored.customer_id}/timeline", headers=agent_headers)
    kinds = [m["kind"] for m in (await resp.json())["messages"]]
    assert kinds[0] == "message" and "agent_message" in kinds and "csat_request" in kinds
