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


async def test_a_misspelt_swedish_question_is_answered_in_swedish(app_client: Any) -> None:
    """As typed, "presentkrot funkar inte i kassan" has no word on either language's list ("i" is on both):
    read after spelling, "presentkort" says Swedish; and a text that says nothing keeps the widget's
    language (sv here) instead of falling back to English."""
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": "misspelt-sv", "lang": "sv"})
    await ws.send_json({"type": "message", "id": "m1", "text": "presentkrot funkar inte i kassan"})
    answer = await _until(ws, "answer")
    assert answer["article"]["slug"] == "presentkort"  # the Swedish version, not presentkort-en
    await ws.close()
    # A longer text with no sign of a language, in a Swedish widget: the reply is Swedish (it was English).
    ws = await app_client.ws_connect("/ws/chat", params={"visitor": "no-sign-sv", "lang": "sv"})
    await ws.send_json({"type": "message", "id": "m1", "text": "xyzzy plugh frobnicate 12345 quux"})
    frame = await ws.receive_json(timeout=30)
    while frame["type"] in ("ack", "typing", "status"):
        frame = await ws.receive_json(timeout=30)
    assert frame["type"] == "handoff" and frame["text"].startswith("Jag har lämnat din fråga"), frame
    await ws.close()
