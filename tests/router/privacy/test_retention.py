"""Retention on SQLite (tests/test_postgres_privacy.py: on PostgreSQL): what is older than `[retention]`
allows is counted by a dry run, then erased or anonymised in batches; the statistics still add up, the
background task does the same on its own, and a run is written to the audit log."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update

from config import RetentionSettings
from infra.app_keys import ENGINE, SESSIONS
from infra.db import utcnow
from knowledge.models import GapQuestion
from router.analytics import compute_stats
from router.models import AuditEntry, ChannelIdentity, Conversation, Customer, Message, Ticket
from router.privacy.retention import retention_task, run_retention
from tests.privacy_helpers import web_customer

OLD_Q = "Kan Flimrofonen levereras till Kiruna?"  # unanswerable in the demo KB: handoff and a gap
NEW_Q = "Varför säger Flimrofonen pip vid kassan?"
POLICY = RetentionSettings(conversations_days=365, tickets_days=30, gaps_days=90, batch_size=1)


async def age(sessions: Any, customer_id: int, days: int, *, conversation: bool = True) -> None:
    """Make the customer's rows `days` old (tickets resolved then); conversations only with `conversation`."""
    then = utcnow() - timedelta(days=days)
    async with sessions() as session, session.begin():
        convs = select(Conversation.id).where(Conversation.customer_id == customer_id)
        await session.execute(
            update(Ticket).where(Ticket.customer_id == customer_id).values(created_at=then, resolved_at=then)
        )
        await session.execute(
            update(GapQuestion).where(GapQuestion.conversation_id.in_(convs)).values(created_at=then)
        )
        if conversation:
            await session.execute(
                update(Message).where(Message.conversation_id.in_(convs)).values(created_at=then)
            )
            await session.execute(
                update(Conversation).where(Conversation.customer_id == customer_id).values(updated_at=then)
            )
            await session.execute(update(Customer).where(Customer.id == customer_id).values(created_at=then))
            await session.execute(
                update(ChannelIdentity)
                .where(ChannelIdentity.customer_id == customer_id)
                .values(last_seen_at=then)
            )


async def setup(app_client: Any, headers: dict[str, str]) -> tuple[int, int]:
    old, old_ticket = await web_customer(app_client, headers, OLD_Q)
    new, new_ticket = await web_customer(app_client, headers, NEW_Q)
    for ticket in (old_ticket, new_ticket):  # an open ticket keeps its conversation; resolved ones may go
        resp = await app_client.post(f"/api/tickets/{ticket}/resolve", json={}, headers=headers)
        assert resp.status == 200
    sessions = app_client.app[SESSIONS]
    await age(sessions, old, 400)
    await age(sessions, new, 100, conversation=False)  # a ticket and a gap past their time, a live chat
    return old, new


async def test_dry_run_counts_then_run_erases_and_anonymises(
    app_client: Any, admin_headers: dict[str, str]
) -> None:
    old, new = await setup(app_client, admin_headers)
    sessions = app_client.app[SESSIONS]
    day = (utcnow() - timedelta(days=400)).date()
    stats_before = await compute_stats(sessions, day, day)
    assert stats_before["totals"]["conversations"] == 1 and stats_before["totals"]["tickets_opened"] == 1
    async with sessions() as session:
        old_messages = await session.scalar(
            select(func.count(Message.id)).join(Conversation).where(Conversation.customer_id == old)
        )

    counts = await run_retention(sessions, POLICY, dry_run=True)
    expected = {
        "conversations": 1,
        "messages": old_messages,
        "customers": 1,
        "tickets": 1,
        "gap_questions": 1,
    }
    assert counts == expected
    async with sessions() as session:
        assert await session.get(Customer, old) is not None  # a dry run changes nothing

    assert await run_retention(sessions, POLICY) == expected
    async with sessions() as session:
        assert await session.get(Customer, old) is None
        assert (
            await session.scalar(
                select(func.count()).select_from(Conversation).where(Conversation.customer_id == old)
            )
            == 0
        )
        assert await session.scalar(select(func.count()).select_from(GapQuestion)) == 0
        kept = await session.scalar(select(Ticket).where(Ticket.customer_id == new))
        assert kept is not None and (kept.question, kept.context, kept.bot_attempts) == (None, {}, [])
        assert kept.status == "resolved"  # anonymised, still counted
        assert await session.get(Customer, new) is not None
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.run"))
        assert entry is not None and entry.actor == "system:retention" and entry.details == expected
    assert (await compute_stats(sessions, day, day))["totals"] == stats_before["totals"]
    assert await run_retention(sessions, POLICY, dry_run=True) == dict.fromkeys(expected, 0)


async def test_zero_days_keep_everything(app_client: Any, admin_headers: dict[str, str]) -> None:
    await setup(app_client, admin_headers)
    counts = await run_retention(app_client.app[SESSIONS], RetentionSettings(), dry_run=False)
    assert set(counts.values()) == {0}


async def test_background_task_runs_retention(app_client: Any, admin_headers: dict[str, str]) -> None:
    old, _ = await setup(app_client, admin_headers)
    app = app_client.app
    task = asyncio.create_task(retention_task(app[ENGINE], app[SESSIONS], POLICY, first_delay=0))
    try:
        for _ in range(300):
            async with app[SESSIONS]() as session:
                if await session.get(Customer, old) is None:
                    break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the retention task did not erase the old customer")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_retention_preview_api(
    app_client: Any, admin_headers: dict[str, str], agent_headers: dict[str, str]
) -> None:
    assert (await app_client.get("/api/retention", headers=agent_headers)).status == 403
    resp = await app_client.get("/api/retention", headers=admin_headers)
    body = await resp.json()
    assert resp.status == 200 and body["settings"]["conversations_days"] == 0
    assert body["due"] == dict.fromkeys(
        ("conversations", "messages", "customers", "tickets", "gap_questions"), 0
    )
