"""The schema, the app and the cross-process event bridge on a real PostgreSQL (a throwaway cluster).

The cluster (tests/pg.py) starts once per session. The demo knowledge base is loaded once, by the real app,
into the session database `kundresa`; the tests that need it get their own copy of it (a template).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text

from config import Settings
from infra.app_keys import ENGINE, SESSIONS
from infra.db import create_engine
from knowledge.models import Article
from router.auth import create_user
from router.identity import Evidence
from router.models import Conversation, Message, Ticket
from router.pg_events import MAX_PAYLOAD, PG_EVENTS
from router.service import Router
from router.web import BUS
from tests.pg import Recorder
from tests.settings_for import settings_for

pytestmark = pytest.mark.postgres

QUESTION = "Kan jag betala med bitcoin eller annan kryptovaluta hos er?"


def _settings(url: str) -> Settings:
    return settings_for(url)


async def _reply(ws: Any, wait: float = 30) -> dict[str, Any]:
    """The next server frame that is not an ack, a notice or a typing indicator."""
    while True:
        frame = await ws.receive_json(timeout=wait)
        if frame["type"] not in ("ack", "notice", "typing"):
            return frame


async def _token(app: Any, name: str, role: str) -> str:
    async with app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, name, role)
    return token


async def _handoff(ws: Any, text_: str = QUESTION) -> int:
    await ws.send_json({"type": "message", "id": "m1", "text": text_})
    first = await _reply(ws)
    if first["type"] != "handoff":  # the bot may try, but it cannot know this: ask for a person
        await ws.send_json({"type": "human"})
        first = await _reply(ws)
    assert first["type"] == "handoff", first
    return int(first["ticket"])


async def test_migration_0002_keeps_existing_articles_on_postgres(pg_db_url: str) -> None:
    from infra.migrate import upgrade

    engine = create_engine(_settings(pg_db_url).database)
    try:
        await upgrade(engine, "0001")
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO articles (slug, title, lang, tags, status, body, version, created_at, "
                    "updated_at) VALUES ('old', 'Old', 'sv', '[]', 'published', 'Body', 1, now(), now())"
                )
            )
        await upgrade(engine)
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT slug, translation_of FROM articles"))).all()
        assert [tuple(r) for r in rows] == [("old", None)]
    finally:
        await engine.dispose()


async def test_migration_0003_queue_indexes_on_postgres(pg_db_url: str) -> None:
    from alembic import command

    from infra.migrate import alembic_config, upgrade

    queue = {
        "ix_tickets_queue",
        "ix_tickets_queue_any",
        "ix_tickets_assignee_status",
        "ix_tickets_conversation_status",
    }

    async def indexes(conn: Any) -> dict[str, str]:
        rows = await conn.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tickets'")
        )
        return {name: definition for name, definition in rows}

    engine = create_engine(_settings(pg_db_url).database)
    try:
        await upgrade(engine, "0002")
        await upgrade(engine, "0003")
        async with engine.connect() as conn:
            got = await indexes(conn)
        assert queue <= set(got) and "ix_tickets_status_team" not in got
        assert "priority DESC, id" in got["ix_tickets_queue"]
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda c: {x["name"] for x in inspect(c).get_columns("conversations")}
            )
        assert "merged_into_id" in columns

        def downgrade(conn: Any) -> None:
            cfg = alembic_config(engine.url.render_as_string(hide_password=False))
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")

        async with engine.begin() as conn:
            await conn.run_sync(downgrade)
            got = await indexes(conn)
        assert not queue & set(got) and "ix_tickets_status_team" in got
    finally:
        await engine.dispose()


async def test_app_on_postgres_search_chat_handoff_resolve(aiohttp_client: Any, pg_kb_db_url: str) -> None:
    from bot.app import create_app

    client = await aiohttp_client(create_app(_settings(pg_kb_db_url)))
    assert client.app[ENGINE].dialect.name == "postgresql"
    assert PG_EVENTS in client.app
    async with client.app[SESSIONS]() as session:
        assert await session.scalar(select(func.count(Article.id))) >= 10  # the demo KB, loaded on PostgreSQL
    agent = {"Authorization": f"Bearer {await _token(client.app, 'agnes', 'agent')}"}

    resp = await client.get("/api/search", params={"q": "Vilka betalsätt kan jag använda?"}, headers=agent)
    body = await resp.json()
    assert resp.status == 200, body
    assert body["decision"] in ("answer", "clarify", "handoff") and body["articles"]

    ws = await client.ws_connect(
        "/ws/chat",
        params={"visitor": "pg-1", "context": '{"step":"payment","order_id":"NH-1","amount":1847}'},
    )
    await ws.send_json({"type": "message", "id": "q0", "text": "Hur lång tid tar leveransen?"})
    ack = await ws.receive_json(timeout=30)
    while ack["type"] in ("notice", "typing"):
        ack = await ws.receive_json(timeout=30)
    assert ack == {"type": "ack", "id": "q0", "seq": 1}
    assert (await _reply(ws))["type"] in ("answer", "clarify", "handoff")

    ticket_id = await _handoff(ws)
    resp = await client.get("/api/tickets", params={"status": "open"}, headers=agent)
    ticket = next(t for t in (await resp.json())["tickets"] if t["id"] == ticket_id)
    assert ticket["context"]["step"] == "payment"

    resp = await client.post(f"/api/tickets/{ticket_id}/claim", headers=agent)
    assert (await resp.json())["status"] == "assigned"
    resp = await client.post(
        f"/api/tickets/{ticket_id}/messages", json={"text": "Nej, bara kort och Swish."}, headers=agent
    )
    assert resp.status == 201
    frame = await _reply(ws)
    assert (frame["type"], frame["text"], frame["agent"]) == (
        "agent_message",
        "Nej, bara kort och Swish.",
        "agnes",
    )

    resp = await client.post(
        f"/api/tickets/{ticket_id}/resolve", json={"article": "saker-betalning"}, headers=agent
    )
    body = await resp.json()
    assert resp.status == 200, body
    assert body["status"] == "resolved"
    assert (await _reply(ws))["type"] == "csat_request"
    await ws.send_json({"type": "csat", "score": 4})
    await ws.receive_json(timeout=10)

    # resume replays what came after a seq, from PostgreSQL
    await ws.send_json({"type": "resume", "after": 1})
    replay = await ws.receive_json(timeout=10)
    assert replay["seq"] == 2

    async with client.app[SESSIONS]() as session:
        stored = await session.get(Ticket, ticket_id)
        assert stored is not None and stored.csat == 4 and stored.first_response_at is not None
        assert stored.created_at.tzinfo is not None
        seqs = list(
            await session.scalars(
                select(Message.seq).where(Message.conversation_id == 1).order_by(Message.id)
            )
        )
        assert seqs == sorted(set(seqs))
    resp = await client.get(f"/api/customers/{stored.customer_id}/timeline", headers=agent)
    kinds = [m["kind"] for m in (await resp.json())["messages"]]
    assert kinds[0] == "message" and "agent_message" in kinds and "csat_request" in kinds
    await ws.close()


# -- several processes on one database --------------------------------------------------------------------


async def test_agent_reply_in_one_process_reaches_a_socket_held_by_another(
    aiohttp_client: Any, pg_kb_db_url: str
) -> None:
    from bot.app import create_app

    a = await aiohttp_client(create_app(_settings(pg_kb_db_url)))
    b = await aiohttp_client(create_app(_settings(pg_kb_db_url)))
    heard_on_b = Recorder()  # what an agent console on B listens to
    for topic in ("conversation", "tickets"):
        b.app[BUS].subscribe(topic, heard_on_b)

    ws = await a.ws_connect("/ws/chat", params={"visitor": "two-processes"})
    ticket_id = await _handoff(ws)
    # the customer's message and the handoff, both published on A, reach B's bus
    customer = await heard_on_b.until(lambda t, d: t == "conversation" and d.get("author") == "customer")
    assert customer["text"] == QUESTION
    await heard_on_b.until(lambda t, d: t == "tickets" and d.get("ticket_id") == ticket_id)

    agent = {"Authorization": f"Bearer {await _token(b.app, 'bertil', 'agent')}"}  # the shared database
    resp = await b.post(f"/api/tickets/{ticket_id}/claim", headers=agent)
    assert (await resp.json())["status"] == "assigned"
    resp = await b.post(f"/api/tickets/{ticket_id}/messages", json={"text": "Hej från B!"}, headers=agent)
    assert resp.status == 201, await resp.json()
    seq = (await resp.json())["seq"]
    frame = await _reply(ws)
    assert frame.pop("at")  # when it was stored (the widget's timestamps)
    assert frame == {"type": "agent_message", "text": "Hej från B!", "agent": "bertil", "seq": seq}

    # an internal note stays with the agents; a reply too big for one NOTIFY still arrives (read back)
    resp = await b.post(
        f"/api/tickets/{ticket_id}/messages", json={"text": "intern", "internal": True}, headers=agent
    )
    assert resp.status == 201
    long_text = "Så här gör du: " + "steg för steg. " * 600
    assert len(long_text.encode("utf-8")) > MAX_PAYLOAD
    resp = await b.post(f"/api/tickets/{ticket_id}/messages", json={"text": long_text}, headers=agent)
    assert resp.status == 201
    frame = await _reply(ws)
    assert frame["type"] == "agent_message" and frame["text"] == long_text.strip()
    assert frame["seq"] == seq + 2  # the note (seq + 1) was not delivered

    resp = await b.post(f"/api/tickets/{ticket_id}/resolve", json={}, headers=agent)
    assert resp.status == 200
    assert (await _reply(ws))["type"] == "csat_request"
    assert a.app[PG_EVENTS].received >= 3 and b.app[PG_EVENTS].received >= 2
    await ws.close()


async def test_two_processes_appending_at_once_never_share_a_seq(two_routers: list[Router]) -> None:
    first, second = two_routers
    _, conv_id = await first.identify([Evidence("web_visitor", "busy", False)])
    per_router = 15

    async def talk(router: Router, who: str) -> None:
        for i in range(per_router):
            if i % 3 == 0:
                await router.receive(
                    conv_id, channel="web", address={}, text=f"{who} {i}", client_id=f"{who}{i}"
                )
            else:
                await router.send(conv_id, {"type": "notice", "text": f"{who} {i}"})

    await asyncio.gather(*(talk(r, w) for r, w in ((first, "a"), (second, "b"), (first, "c"), (second, "d"))))
    async with first.sessions() as session:
        seqs = list(await session.scalars(select(Message.seq).where(Message.conversation_id == conv_id)))
        conv = await session.get(Conversation, conv_id)
    assert conv is not None
    assert sorted(seqs) == list(range(1, 4 * per_router + 1))  # unique and dense
    assert conv.next_seq == 4 * per_router + 1
