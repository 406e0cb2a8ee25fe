"""bot/http/search.py: `GET /api/search` answers as the bot would, for agents, and refuses bad questions."""

from __future__ import annotations

from typing import Any


async def test_search_answers_as_the_bot_would(app_client: Any, agent_headers: dict[str, str]) -> None:
    resp = await app_client.get(
        "/api/search", params={"q": "hur lång är leveranstiden?"}, headers=agent_headers
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["decision"] == "answer" and body["articles"][0]["slug"] == "leveranstid-sparning"
    english = await app_client.get(
        "/api/search", params={"q": "how long is the delivery time?", "lang": "en"}, headers=agent_headers
    )
    assert (await english.json())["articles"][0]["slug"] == "leveranstid-sparning-en"


async def test_search_needs_an_agent_and_a_question(app_client: Any, agent_headers: dict[str, str]) -> None:
    assert (await app_client.get("/api/search", params={"q": "swish"})).status == 401
    missing = await app_client.get("/api/search", params={"q": "   "}, headers=agent_headers)
    assert missing.status == 400 and "'q'" in (await missing.json())["error"]["message"]
    long = await app_client.get("/api/search", params={"q": "x" * 2001}, headers=agent_headers)
    assert long.status == 400 and "2000" in (await long.json())["error"]["message"]
