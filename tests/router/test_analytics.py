"""Admin analytics: /api/stats from real web-chat conversations, and the knowledge-gap report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from router.web import KB

ANSWERABLE = "Kan man betala med swish?"  # an example question of the demo article swish-betalning
UNANSWERABLE = "Kan jag betala med bitcoin eller annan kryptovaluta hos er?"
SIMILAR_A = "Kan jag betala med bitcoin?"
SIMILAR_B = "Går det att betala med bitcoin hos er?"
DIFFERENT = "Har ni en fysisk butik i Göteborg där man kan titta på soffor?"


async def _reply(ws: Any) -> dict[str, Any]:
    """The next server frame that is not an ack, a typing indicator or a notice."""
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] not in ("ack", "notice", "typing"):
            return frame


def _day(offset: int = 0) -> str:
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


async def test_stats_from_web_chat_conversations(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    sent: dict[str, int] = {"answer": 0, "clarify": 0, "handoff": 0}

    # One customer gets an answer from the bot.
    ws1 = await app_client.ws_connect("/ws/chat", params={"visitor": "stats-1"})
    await ws1.send_json({"type": "message", "id": "a1", "text": ANSWERABLE})
    frame = await _reply(ws1)
    assert frame["type"] == "answer", frame
    sent["answer"] += 1

    # Another is handed off, answered by an agent, resolved, and rates it 4.
    ws2 = await app_client.ws_connect("/ws/chat", params={"visitor": "stats-2"})
    await ws2.send_json({"type": "message", "id": "b1", "text": UNANSWERABLE})
    frame = await _reply(ws2)
    sent[frame["type"]] += 1
    if frame["type"] != "handoff":
        await ws2.send_json({"type": "human"})
        frame = await _reply(ws2)
        sent["handoff"] += 1
    assert frame["type"] == "handoff"
    ticket_id = frame["ticket"]
    await ws2.send_json({"type": "human"})  # pressed again while waiting: not a second handoff
    assert (await _reply(ws2))["type"] == "handoff"

    resp = await app_client.post(f"/api/tickets/{ticket_id}/claim", headers=agent_headers)
    assert resp.status == 200
    resp = await app_client.post(
        f"/api/tickets/{ticket_id}/messages", json={"text": "Nej, tyvärr inte."}, headers=agent_headers
    )
    assert resp.status == 201
    assert (await _reply(ws2))["type"] == "agent_message"
    resp = await app_client.post(f"/api/tickets/{ticket_id}/resolve", headers=agent_headers)
    assert resp.status == 200
    assert (await _reply(ws2))["type"] == "csat_request"
    await ws2.send_json({"type": "csat", "score": 4})
    await ws2.receive_json(timeout=10)

    resp = await app_client.get("/api/stats", params={"from": _day(-1), "to": _day(1)}, headers=admin_headers)
    assert resp.status == 200
    body = await resp.json()
    assert body["from"] == _day(-1) and body["to"] == _day(1) and body["timezone"] == "UTC"
    assert [d["date"] for d in body["days"]] == [_day(-1), _day(0), _day(1)]
    totals = body["totals"]
    expected = {
        "conversations": 2,
        "answered": sent["answer"],
        "clarified": sent["clarify"],
        "handed_off": 1,
        "bot_resolved": 1,
        "bot_resolution_rate": 0.5,
        "tickets_opened": 1,
        "first_responses": 1,
        "tickets_resolved": 1,
        "csat_average": 4.0,
        "csat_count": 1,
    }
    assert {k: totals[k] for k in expected} == expected
    assert 0 <= totals["median_first_response_seconds"] < 120
    today = next(d for d in body["days"] if d["date"] == _day(0))
    assert {k: today[k] for k in expected} == expected
    yesterday = body["days"][0]
    assert yesterday["conversations"] == 0 and yesterday["bot_resolution_rate"] is None
    assert yesterday["median_first_response_seconds"] is None and yesterday["csat_average"] is None

    # Default range: the last 30 days up to today.
    resp = await app_client.get("/api/stats", headers=admin_headers)
    body = await resp.json()
    assert len(body["days"]) == 30 and body["to"] == _day(0)
    assert body["totals"]["conversations"] == 2

    # Bad ranges are 400s with a JSON error; agents may not see stats.
    for params in ({"from": "yesterday"}, {"from": _day(1), "to": _day(-1)}, {"from": "2000-01-01"}):
        resp = await app_client.get("/api/stats", params=params, headers=admin_headers)
        assert resp.status == 400, params
        assert (await resp.json())["error"]["code"] == "invalid_date"
    resp = await app_client.get("/api/stats", headers=agent_headers)
    assert resp.status == 403
    resp = await app_client.get("/api/stats")
    assert resp.status == 401
    await ws1.close()
    await ws2.close()


async def test_gaps_grouped_then_handled_into_an_article(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    kb = app_client.app[KB]
    for text, reason in ((SIMILAR_A, "no_answer"), (DIFFERENT, "no_answer"), (SIMILAR_B, "not_helpful")):
        await kb.record_gap(text, reason, conversation_id=None, channel="web")

    resp = await app_client.get("/api/gaps", headers=admin_headers)
    assert resp.status == 200
    groups = (await resp.json())["groups"]
    assert [g["size"] for g in groups] == [2, 1]  # largest first
    top = groups[0]
    assert {e["text"] for e in top["examples"]} == {SIMILAR_A, SIMILAR_B}
    assert top["representative"] in (SIMILAR_A, SIMILAR_B)
    assert top["reasons"] == {"no_answer": 1, "not_helpful": 1}
    assert set(top["examples"][0]) >= {"id", "text", "reason", "channel", "created_at"}
    assert 1 <= len(top["suggested_articles"]) <= 3
    assert all({"slug", "title", "score"} <= set(a) for a in top["suggested_articles"])
    assert groups[1]["examples"][0]["text"] == DIFFERENT

    # Agents may not see the gap report or mark it handled.
    assert (await app_client.get("/api/gaps", headers=agent_headers)).status == 403
    resp = await app_client.post("/api/gaps/handled", json={"ids": top["ids"]}, headers=agent_headers)
    assert resp.status == 403

    # An unknown article changes nothing; bad ids are a 400.
    resp = await app_client.post(
        "/api/gaps/handled", json={"ids": top["ids"], "article": "no-such-article"}, headers=admin_headers
    )
    assert resp.status == 404
    for bad in ({"ids": []}, {"ids": ["1"]}, {"ids": [999_999]}, {"ids": top["ids"], "article": 5}):
        resp = await app_client.post("/api/gaps/handled", json=bad, headers=admin_headers)
        assert resp.status == 400, bad
    resp = await app_client.get("/api/gaps", headers=admin_headers)
    assert [g["size"] for g in (await resp.json())["groups"]] == [2, 1]

    # Handled into an article: the questions become its example questions (source "gap").
    resp = await app_client.post(
        "/api/gaps/handled", json={"ids": top["ids"], "article": "saker-betalning"}, headers=admin_headers
    )
    assert resp.status == 200
    result = await resp.json()
    assert result["handled"] == 2 and set(result["learned"]) == {SIMILAR_A, SIMILAR_B}
    resp = await app_client.get("/api/articles/saker-betalning", headers=admin_headers)
    sources = {q["text"]: q["source"] for q in (await resp.json())["question_sources"]}
    assert sources[SIMILAR_A] == "gap" and sources[SIMILAR_B] == "gap"
    resp = await app_client.get("/api/gaps", headers=admin_headers)
    remaining = (await resp.json())["groups"]
    assert [[e["text"] for e in g["examples"]] for g in remaining] == [[DIFFERENT]]

    # Handled without an article: just gone from the report.
    resp = await app_client.post(
        "/api/gaps/handled", json={"ids": remaining[0]["ids"]}, headers=admin_headers
    )
    assert (await resp.json()) == {"handled": 1, "article": None, "learned": []}
    resp = await app_client.get("/api/gaps", params={"since": _day(-1)}, headers=admin_headers)
    assert (await resp.json())["groups"] == []
    resp = await app_client.get("/api/gaps", params={"since": "soon"}, headers=admin_headers)
    assert resp.status == 400
