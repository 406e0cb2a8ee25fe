"""Helpers of the console API tests: a web customer handed to a person, a ticket's row, auth headers."""

from __future__ import annotations

from typing import Any

from infra.app_keys import SESSIONS
from router.models import Ticket

QUESTION = "Kan jag betala med bitcoin eller annan kryptovaluta hos er?"


SECRET = "test-identity-secret"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def handoff(client: Any, visitor: str, **params: str) -> tuple[Any, int]:
    """A web customer asks the bot, then for a person; (customer socket, ticket id)."""
    ws = await client.ws_connect("/ws/chat", params={"visitor": visitor, **params})
    await ws.send_json({"type": "message", "id": "m1", "text": QUESTION})
    await ws.send_json({"type": "human"})
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] == "handoff" and frame.get("ticket"):
            return ws, frame["ticket"]


async def ticket_row(client: Any, ticket_id: int) -> Ticket:
    async with client.app[SESSIONS]() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket
