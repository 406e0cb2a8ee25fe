"""Cheap queue queries: migration 0003's indexes (and its `conversations.merged_into_id`), and every ticket
query of a handoff, a queue position and a dispatch reads them (SQLite's query plans: no statement scans
the tickets table)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import event, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from config import Settings
from infra.db import create_engine, create_sessionmaker
from infra.migrate import alembic_config, upgrade
from router.auth import create_user
from router.channel import ChannelRegistry
from router.events import EventBus
from router.identity import Evidence
from router.service import Router

QUEUE_INDEXES = {
    "ix_tickets_queue",
    "ix_tickets_queue_any",
    "ix_tickets_assignee_status",
    "ix_tickets_conversation_status",
}


async def ticket_indexes(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: {i["name"] for i in inspect(c).get_indexes("tickets")})


async def conversation_columns(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: {x["name"] for x in inspect(c).get_columns("conversations")})


async def test_migration_0003_adds_the_queue_indexes_and_goes_back(
    tmp_path: Path, make_settings: Any
) -> None:
    engine = create_engine(make_settings(database={"url": f"sqlite+aiosqlite:///{tmp_path}/m.db"}).database)
    try:
        await upgrade(engine, "0002")
        assert "ix_tickets_status_team" in await ticket_indexes(engine)
        await upgrade(engine, "0003")
        indexes = await ticket_indexes(engine)
        assert QUEUE_INDEXES <= indexes and "ix_tickets_status_team" not in indexes
        async with engine.connect() as conn:
            sql = await conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'ix_tickets_queue'"))
        assert "priority DESC" in sql  # the dispatch order: one forward read of the index
        assert "merged_into_id" in await conversation_columns(engine)

        def downgrade(conn: Any) -> None:
            cfg = alembic_config(engine.url.render_as_string(hide_password=False))
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")

        async with engine.begin() as conn:
            await conn.run_sync(downgrade)
        indexes = await ticket_indexes(engine)
        assert not QUEUE_INDEXES & indexes and "ix_tickets_status_team" in indexes
        assert "merged_into_id" not in await conversation_columns(engine)
    finally:
        await engine.dispose()


@pytest.fixture
async def router(make_settings: Callable[..., Settings]) -> AsyncIterator[Router]:
    settings = make_settings(routing={"teams": {"betalning": "payments", "leverans": "logistics"}})
    engine = create_engine(settings.database)
    await upgrade(engine)
    try:
        yield Router(create_sessionmaker(engine), settings, ChannelRegistry(), EventBus())
    finally:
        await engine.dispose()


async def test_handoff_position_and_dispatch_read_tickets_through_indexes(router: Router) -> None:
    engine: AsyncEngine = router.sessions.kw["bind"]
    async with engine.begin() as conn:  # a long queue over three teams, one conversation each; some over
        await conn.execute(
            text(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000) "
                "INSERT INTO customers (id, vip, created_at) SELECT i, 0, '2026-01-01' FROM n"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO conversations (id, customer_id, owner, last_address, context, bot_state, "
                "next_seq, created_at, updated_at) SELECT id, id, 'agent', '{}', '{}', '{}', 1, "
                "'2026-01-01', '2026-01-01' FROM customers"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO tickets (conversation_id, customer_id, status, priority, team, reason, "
                "bot_attempts, context, external_refs, created_at) SELECT id, id, "
                "CASE id % 5 WHEN 1 THEN 'resolved' WHEN 2 THEN 'closed' ELSE 'open' END, (id % 3) * 50, "
                "CASE id % 3 WHEN 0 THEN 'support' WHEN 1 THEN 'payments' ELSE 'logistics' END, 'x', '[]', "
                "'{}', '{}', '2026-01-01' FROM conversations"
            )
        )
        await conn.execute(text("ANALYZE"))

    statements: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "tickets" in statement and not statement.lstrip().upper().startswith(("INSERT", "EXPLAIN")):
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        _, conv_id = await router.identify([Evidence("web_visitor", "queued", False)])
        ticket, new, _ = await router.tickets.handoff(
            conv_id, reason="no_answer", question="Kortet nekas", attempts=[], tags=[["betalning"]]
        )
        assert new and ticket.team == "payments"
        assert await router.tickets.queue_position(ticket) == 1 + 3000 // 3 * 3 // 5  # its team's queued
        async with router.sessions() as session, session.begin():
            for name, team in (("pia", "payments"), ("lo", "logistics"), ("any", None)):
                user, _ = await create_user(session, name, "agent", team=team, capacity=2)
                user.presence = "online"
        assigned = await router.tickets.dispatch()
        assert len(assigned) == 6
        await router.tickets.claim(ticket.id, assigned[0][1])  # the new ticket is last in its queue
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)

    assert statements
    async with engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        for statement, parameters in statements:
            plan = await driver.execute_fetchall(f"EXPLAIN QUERY PLAN {statement}", parameters)
            details = [str(row[-1]) for row in plan]
            scans = [d for d in details if d.startswith("SCAN tickets")]
            assert not scans, f"{statement}\n{details}"
