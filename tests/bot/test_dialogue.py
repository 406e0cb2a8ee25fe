"""`bot.dialogue.Dialogue` through the real app: what a turn records besides the frames it sends."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from infra.app_keys import SESSIONS
from knowledge.models import GapQuestion

QUESTION = "Kan jag betala med bitcoin eller annan kryptovaluta hos er?"


async def _until(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] == kind:
            return frame


async def test_a_gap_names_the_channel_the_question_came_by(app_client: Any) -> None:
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": "gap-channel"})
    await ws.send_json({"type": "message", "id": "m1", "text": QUESTION})
    frame = await ws.receive_json(timeout=30)
    while frame["type"] in ("ack", "notice", "typing"):
        frame = await ws.receive_json(timeout=30)
    if frame["type"] != "handoff":  # the bot tried: 👎 makes the question a gap (and hands it over)
        await ws.send_json({"type": "feedback", "helpful": False})
        await _until(ws, "handoff")
    await ws.close()
    async with app_client.server.app[SESSIONS]() as session:
        gaps = list(await session.scalars(select(GapQuestion)))
    assert gaps, "the handoff recorded no gap"
    assert {g.channel for g in gaps} == {"web"}
