"""Helpers of the privacy tests: a fake Slack that keeps threads, and a search of stored bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infra.app_keys import SESSIONS
from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, FakeSlackAPI

QUESTION = "Varför blinkar Quuxomaten rött när jag betalar?"  # the demo KB cannot answer it
ARTICLE = "saker-betalning"


class ThreadedSlack(FakeSlackAPI):
    """The fake Slack Web API, which also keeps the messages of each channel: what the app posts, and what
    a test says people wrote (`add_message`); answers `conversations.replies` and `chat.delete` (the app's
    own messages only, as the bot token may)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[dict[str, Any]]] = {}

    def add_message(self, channel: str, ts: str, user: str, text: str, thread_ts: str | None = None) -> None:
        message = {"type": "message", "user": user, "text": text, "ts": ts}
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.history.setdefault(channel, []).append(message)

    def texts(self, channel: str) -> list[str]:
        return [json.dumps(m, ensure_ascii=False) for m in self.history.get(channel, [])]

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        answer = super()._chat_postMessage(params)
        if answer.get("ok"):
            message = {**answer["message"], "user": BOT_USER_ID, "blocks": params.get("blocks")}
            self.history.setdefault(str(params["channel"]), []).append(message)
        return answer

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("ts"))
        thread = [m for m in self.history.get(channel, []) if ts in (m["ts"], m.get("thread_ts"))]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return {"ok": True, "messages": sorted(thread, key=lambda m: m["ts"]), "has_more": False}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(params.get("channel")), str(params.get("ts"))
        for m in self.history.get(channel, []):
            if m["ts"] == ts:
                if m.get("bot_id") != BOT_ID:
                    return {"ok": False, "error": "cant_delete_message"}
                self.history[channel].remove(m)
                return {"ok": True, "channel": channel, "ts": ts}
        return {"ok": False, "error": "message_not_found"}


def forms(needle: str) -> list[bytes]:
    """How a string can sit in a database file: UTF-8, and JSON-escaped (ensure_ascii) in JSON columns."""
    escaped = json.dumps(needle)[1:-1]
    out = {needle.encode("utf-8"), escaped.encode("ascii")}
    return sorted(out)


def found_in_files(paths: list[Path], needles: list[str]) -> list[tuple[str, str]]:
    """(file, needle) for every needle whose bytes are in one of the files."""
    hits = []
    for path in paths:
        if not path.exists():
            continue
        data = path.read_bytes()
        for needle in needles:
            if any(f in data for f in forms(needle)):
                hits.append((path.name, needle))
    return hits


ID_SECRET = "test-identity-secret"  # tests/conftest.py's chat.identity_secret


async def frames_until(ws: Any, wanted: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=30)
        if frame["type"] == wanted:
            return dict(frame)


async def web_customer(
    client: Any,
    headers: dict[str, str],
    question: str,
    *,
    user: str | None = None,
    email: str | None = None,
    context: dict[str, Any] | None = None,
    learn: str | None = None,
) -> tuple[int, int]:
    """A web chat customer whose unanswerable `question` was handed off (ticket resolved into article
    `learn`'s example questions when given): (customer id, ticket id)."""
    from bot.channels.webchat import sign_user
    from router.models import Ticket

    params: dict[str, str] = {"visitor": f"v-{abs(hash((question, user, email)))}"}
    if user:
        params |= {"user": user, "sig": sign_user(user, ID_SECRET)}
        if email:
            params |= {"email": email, "email_sig": sign_user(email, ID_SECRET)}
    if context:
        params["context"] = json.dumps(context)
    ws = await client.ws_connect("/ws/chat", params=params)
    await ws.send_json({"type": "message", "id": "q-1", "text": question})
    ticket_id = int((await frames_until(ws, "handoff"))["ticket"])
    if learn:
        resp = await client.post(
            f"/api/tickets/{ticket_id}/resolve", json={"article": learn}, headers=headers
        )
        assert resp.status == 200, await resp.text()
        await frames_until(ws, "csat_request")
    await ws.close()
    async with client.app[SESSIONS]() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket.customer_id, ticket_id


async def error_of(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    body = await resp.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"]
    return dict(body["error"])
