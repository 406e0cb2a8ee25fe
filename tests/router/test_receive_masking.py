"""What the router stores of a customer message is masked: the text, the client's message id and the page
context (all three are stored and shown to agents), and a resent id still finds the first try."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from infra.app_keys import SESSIONS
from router.models import Conversation, Message

CARD = "4111 1111 1111 1111"
PNR = "811218-9876"


async def _frame(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame.get("type") == kind:
            return frame


async def test_text_id_and_context_are_masked_and_a_resend_is_a_duplicate(app_client: Any) -> None:
    context = json.dumps({"step": "payment", "order_id": "NH-100234", "note": f"pnr {PNR}"})
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": "masked-visitor", "context": context})
    client_id = f"msg-{CARD}"
    await ws.send_json({"type": "message", "id": client_id, "text": f"mitt kort {CARD} funkar inte"})
    ack = await _frame(ws, "ack")
    assert ack["id"] == client_id  # the client matches its own id

    await ws.send_json({"type": "message", "id": client_id, "text": f"mitt kort {CARD} funkar inte"})
    again = await _frame(ws, "ack")
    assert again["seq"] == ack["seq"]  # stored once
    await ws.close()

    async with app_client.app[SESSIONS]() as session:
        rows = list(await session.scalars(select(Message).where(Message.direction == "in")))
        convs = list(await session.scalars(select(Conversation)))
    assert len(rows) == 1, [r.text for r in rows]
    stored = json.dumps(
        [[r.text, r.client_id, r.context] for r in rows] + [c.context for c in convs], ensure_ascii=False
    )
    for secret in ("4111", "1111 1111", "9876", "811218"):
        assert secret not in stored, stored
    assert "NH-100234" in stored  # an order number is not a secret
