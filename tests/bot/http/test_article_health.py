"""`GET /api/articles/health` (`bot.http.article_health`) after real chats: shown, helped / not helped and
handoffs per article, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.app import create_app
from tests.settings_for import settings_for

ANSWERABLE = "Kan man betala med swish?"  # an example question of the demo article swish-betalning
Client = Any


async def _slugs(client: Client, headers: dict[str, str]) -> list[str]:
    resp = await client.get("/api/articles", headers=headers)
    assert resp.status == 200
    return sorted(a["slug"] for a in (await resp.json())["articles"])


# -- article health -------------------------------------------------------------------------------------
async def _reply(ws: Any) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] not in ("ack", "notice", "typing"):
            return frame


async def _check_health(client: Client, headers: dict[str, str], slug: str, question: str) -> None:
    """Two chats get the same answer; one says it helped, the other that it did not (and is handed off)."""
    for visitor, helpful in (("health-1", True), ("health-2", False)):
        ws = await client.ws_connect("/ws/chat", params={"visitor": visitor})
        await ws.send_json({"type": "message", "id": "q1", "text": question})
        frame = await _reply(ws)
        assert frame["type"] == "answer", frame
        assert frame["article"]["slug"] == slug
        await ws.send_json({"type": "feedback", "helpful": helpful})
        if not helpful:
            assert (await _reply(ws))["type"] == "handoff"  # "didn't help" goes to a person
        else:
            await asyncio.sleep(0.2)
        await ws.close()

    resp = await client.get("/api/articles/health", headers=headers)
    assert resp.status == 200
    data = await resp.json()
    by_slug = {a["slug"]: a for a in data["articles"]}
    assert data["count"] == len(by_slug) == len(await _slugs(client, headers))
    shown = by_slug[slug]
    assert shown["shown"] == 2
    assert shown["helped"] == 1 and shown["not_helped"] == 1
    assert shown["helped_rate"] == 0.5
    assert shown["handoffs"] == 1
    assert data["articles"][0]["slug"] == slug  # most shown first
    others = [a for a in data["articles"] if a["slug"] != slug]
    assert all(a["shown"] == 0 and a["helped"] == 0 and a["handoffs"] == 0 for a in others)
    assert all(a["helped_rate"] is None for a in others)


async def test_health_counts_shown_feedback_and_handoffs(
    app_client: Client, admin_headers: dict[str, str]
) -> None:
    await _check_health(app_client, admin_headers, "swish-betalning", ANSWERABLE)


@pytest.mark.postgres
async def test_health_queries_on_postgres(aiohttp_client: Any, pg_db_url: str) -> None:
    """The JSON-path grouping of the health report on PostgreSQL (json, not jsonb, columns)."""
    from infra.app_keys import SESSIONS
    from router.auth import create_user

    settings = settings_for(str(pg_db_url), server={"load_demo_kb": False})
    client = await aiohttp_client(create_app(settings))
    async with client.app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "ada", "admin")
    headers = {"Authorization": f"Bearer {token}"}
    articles = [
        ("swish", "Betala med Swish", "Välj Swish i kassan.", ["Kan man betala med swish?"]),
        ("faktura", "Betala med faktura", "Välj faktura i kassan.", ["Kan jag få faktura?"]),
        ("frakt", "Frakt och leverans", "Frakten kostar 49 kr.", ["Vad kostar frakten?"]),
    ]
    for slug, title, body, questions in articles:
        data = {"slug": slug, "title": title, "body": body, "questions": questions}
        resp = await client.post("/api/articles", json=data, headers=headers)
        assert resp.status == 201, await resp.text()
    await _check_health(client, headers, "swish", ANSWERABLE)
