"""The web chat protocol additions the widget relies on, on the real app: `status` frames (opt-in) with the
queue, an honest wait and the greeting's name; CSAT refused a second time with the stored score; button
acknowledgements once, in the widget's language; every stored frame's `at`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from bot.channels.webchat import sign_user
from infra.app_keys import SESSIONS
from router.auth import create_user
from router.models import ChannelIdentity, Customer, Ticket
from router.web import ROUTER

SECRET = "test-identity-secret"
ANSWERABLE = "hur lång är leveranstiden?"


async def until(ws: Any, kind: str) -> list[dict[str, Any]]:
    seen = []
    while True:
        frame = await ws.receive_json(timeout=30)
        seen.append(frame)
        if frame["type"] == kind:
            return seen


async def connect(client: Any, **params: str) -> Any:
    query = {"visitor": f"v-{uuid.uuid4().hex[:12]}", **params}
    return await client.ws_connect("/ws/chat", params=query)


async def test_status_is_opt_in_and_tells_the_queue_honestly(app_client: Any) -> None:
    plain = await connect(app_client)
    await plain.send_json({"type": "human"})
    frames = await until(plain, "handoff")
    await plain.send_json({"type": "resume", "after": 0})
    await plain.send_json({"type": "bogus"})  # its error shows everything before it was handled
    frames += await until(plain, "error")
    assert all(f["type"] != "status" for f in frames), frames  # old clients get nothing new
    await plain.close()

    ws = await connect(app_client, status="1")
    await ws.send_json({"type": "resume", "after": 0})
    first = (await until(ws, "status"))[-1]
    assert first["owner"] == "bot" and first["queue"] is None and first["max_message_bytes"] == 4096
    await ws.send_json({"type": "human"})
    handoff = (await until(ws, "handoff"))[-1]
    # No [email] configured: nobody is online, and no address is asked for that could never be used.
    assert "ingen är tillgänglig" in handoff["text"] and "e-post" not in handoff["text"]
    status = (await until(ws, "status"))[-1]
    assert status["owner"] == "agent" and status["email_replies"] is False
    queue = status["queue"]
    assert queue["ticket"] == handoff["ticket"] and queue["agents_online"] == 0
    assert queue["wait_minutes"] is None  # nobody online: no figure, where it used to promise 5 minutes
    assert handoff["queue"]["position"] == queue["position"] >= 2  # the plain socket's ticket is ahead

    async with app_client.app[SESSIONS]() as session, session.begin():
        agent, _ = await create_user(session, "Agnes", "agent", capacity=0)
    await app_client.app[ROUTER].tickets.set_presence(agent.id, "online")
    status = (await until(ws, "status"))[-1]  # pushed: an agent came online
    assert status["queue"]["agents_online"] == 1
    assert status["queue"]["wait_minutes"] == 5 * status["queue"]["position"]
    await app_client.app[ROUTER].tickets.claim(handoff["ticket"], agent.id)
    status = (await until(ws, "status"))[-1]  # pushed: Agnes has it
    assert status["queue"]["agent"] == "Agnes" and status["queue"]["position"] is None
    await app_client.app[ROUTER].tickets.set_presence(agent.id, "away")
    await ws.close()


async def test_csat_is_refused_a_second_time_with_the_stored_score(app_client: Any) -> None:
    ws = await connect(app_client, lang="en")
    await ws.send_json({"type": "human"})
    handoff = (await until(ws, "handoff"))[-1]
    async with app_client.app[SESSIONS]() as session, session.begin():
        ticket = await session.get(Ticket, handoff["ticket"])
        assert ticket is not None
        ticket.status = "resolved"
    await ws.send_json({"type": "csat", "score": 4})
    thanks = (await until(ws, "notice"))[-1]
    assert thanks["csat"] == {"ticket": handoff["ticket"], "score": 4}
    assert thanks["text"] == "Thank you for your rating!"  # the widget's language
    await ws.send_json({"type": "csat", "score": 1})
    refused = (await until(ws, "error"))[-1]
    assert (refused["code"], refused["score"], refused["ticket"]) == ("already_rated", 4, handoff["ticket"])
    async with app_client.app[SESSIONS]() as session:
        stored = await session.get(Ticket, handoff["ticket"])
        assert stored is not None and stored.csat == 4
    await ws.close()


async def test_thumbs_up_is_thanked_once_in_the_widgets_language(app_client: Any) -> None:
    ws = await connect(app_client, lang="sv")
    await ws.send_json({"type": "message", "id": "q1", "text": "how long does delivery take?"})
    answer = (await until(ws, "answer"))[-1]
    assert answer["at"]
    await ws.send_json({"type": "feedback", "helpful": True})
    await ws.send_json({"type": "bogus"})
    frames = await until(ws, "error")
    notices = [f for f in frames if f["type"] == "notice"]
    assert [n["text"] for n in notices] == ["Tack för din återkoppling!"]  # Swedish widget, English question
    await ws.close()


async def test_a_returning_signed_in_customer_is_greeted_by_name(app_client: Any) -> None:
    user = f"u-{uuid.uuid4().hex[:8]}"
    signed = {"user": user, "sig": sign_user(user, SECRET), "name": "Anna Lind", "status": "1"}
    ws = await connect(app_client, **signed)
    await ws.send_json({"type": "message", "id": "m1", "text": "hej"})
    greeting = (await until(ws, "notice"))[-1]
    assert greeting["text"] == "Hej Anna Lind! Vad kan jag hjälpa dig med?"
    await ws.close()
    async with app_client.app[SESSIONS]() as session:
        ident = await session.scalar(
            select(ChannelIdentity).where(
                ChannelIdentity.kind == "web_user", ChannelIdentity.external_id == user
            )
        )
        assert ident is not None
        customer = await session.get(Customer, ident.customer_id)
        assert customer is not None and customer.name == "Anna Lind"

    ws = await connect(app_client, **signed)  # another device: nothing written, the name is known
    await ws.send_json({"type": "resume", "after": 0})
    status = (await until(ws, "status"))[-1]
    assert status["customer"] == {"name": "Anna Lind"}
    await ws.close()

    # An unsigned name is ignored.
    ws = await connect(app_client, name="Mallory", status="1")
    await ws.send_json({"type": "message", "id": "m1", "text": "hej"})
    await until(ws, "notice")
    await ws.send_json({"type": "resume", "after": 0})
    status = (await until(ws, "status"))[-1]
    assert status["customer"] is None
    await ws.close()


def test_the_widgets_texts_exist_in_swedish_and_english() -> None:
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "bot" / "static" / "widget" / "texts.js").read_text(
        encoding="utf-8"
    )
    table = source[source.index("const TEXT = {") : source.index("t = TEXT[cfg.lang];")]  # let: setLocale
    sv, en = table[table.index("sv: {") : table.index("en: {")], table[table.index("en: {") :]
    key = re.compile(r"(?:^|[\s,{])([a-zA-Z_]\w*):\s*(?=['`(\[{])", re.M)
    assert set(key.findall(sv)) - {"sv"} == set(key.findall(en)) - {"en"}
    assert {"queue", "nobody", "joined", "resolved", "tooLong", "readMore", "errors", "too_large"} <= set(
        key.findall(sv)
    )
