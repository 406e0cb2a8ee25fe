"""Erasure and retention on a real PostgreSQL: after an erasure no table holds the customer's email, name,
message texts or page context (every row of every table searched as text); retention erases in batches and
one process at a time (advisory lock)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update

from config import RetentionSettings, load_settings
from infra.app_keys import ENGINE, SESSIONS
from infra.db import utcnow
from router.auth import create_user
from router.models import AuditEntry, ChannelIdentity, Conversation, Customer, Message, Ticket
from router.privacy.retention import LOCK_KEY, exclusive, run_retention
from tests.privacy_helpers import web_customer

pytestmark = pytest.mark.postgres

QUESTION = "Varför fastnar min Snorkelbåt-beställning i kassan?"  # the demo KB cannot answer it
USER, EMAIL, ORDER = "pg-kund-9", "pg.kundsson@example.com", "NH-PG-77531"


async def _app(aiohttp_client: Any, url: str) -> Any:
    from bot.app import create_app

    settings = load_settings(
        environ={},
        model={"worker": "thread"},
        database={"url": url},
        demo=False,
        chat={"identity_secret": "test-identity-secret"},
    )
    client = await aiohttp_client(create_app(settings))
    async with client.app[SESSIONS]() as session, session.begin():
        _, token = await create_user(session, "ada", "admin")
    return client, {"Authorization": f"Bearer {token}"}


async def rows_mentioning(session: Any, needle: str) -> dict[str, int]:
    """Per table of the schema, the rows whose text form holds `needle`."""
    tables = await session.scalars(
        text("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    )
    found = {}
    for table in list(tables):
        n = await session.scalar(
            text(f'SELECT count(*) FROM "{table}" AS t WHERE strpos(t::text, :needle) > 0'),
            {"needle": needle},
        )
        if n:
            found[table] = int(n)
    return found


async def test_erasure_leaves_nothing_in_any_table(aiohttp_client: Any, pg_kb_db_url: str) -> None:
    client, admin = await _app(aiohttp_client, pg_kb_db_url)
    context = {"step": "payment", "order_id": ORDER, "amount": 99, "currency": "SEK"}
    cid, _ = await web_customer(
        client, admin, QUESTION, user=USER, email=EMAIL, context=context, learn="saker-betalning"
    )
    sessions = client.app[SESSIONS]
    needles = [EMAIL, USER, ORDER, QUESTION, "Snorkelbåt"]
    async with sessions() as session:
        before = {n: await rows_mentioning(session, n) for n in needles}
    assert before[QUESTION].keys() >= {"messages", "tickets", "gap_questions", "example_questions"}
    assert before[ORDER] and before[EMAIL]  # the test would see them

    resp = await client.delete(f"/api/customers/{cid}", headers=admin)
    assert resp.status == 200, await resp.text()
    async with sessions() as session:
        after = {n: await rows_mentioning(session, n) for n in needles}
        assert after == {n: {} for n in needles}
        assert await session.get(Customer, cid) is None
        assert await session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == (
            "customer.erase"
        )


async def test_retention_batches_and_one_process_at_a_time(aiohttp_client: Any, pg_kb_db_url: str) -> None:
    client, admin = await _app(aiohttp_client, pg_kb_db_url)
    ids = []
    for i in range(3):
        cid, ticket = await web_customer(client, admin, f"{QUESTION} ({'abc'[i]})")
        assert (await client.post(f"/api/tickets/{ticket}/resolve", json={}, headers=admin)).status == 200
        ids.append(cid)
    sessions, engine = client.app[SESSIONS], client.app[ENGINE]
    then = utcnow() - timedelta(days=500)
    old = ids[:2]
    async with sessions() as session, session.begin():
        convs = select(Conversation.id).where(Conversation.customer_id.in_(old))
        await session.execute(
            update(Message).where(Message.conversation_id.in_(convs)).values(created_at=then)
        )
        await session.execute(update(Ticket).where(Ticket.customer_id.in_(old)).values(created_at=then))
        await session.execute(update(Conversation).where(Conversation.id.in_(convs)).values(updated_at=then))
        await session.execute(update(Customer).where(Customer.id.in_(old)).values(created_at=then))
        await session.execute(
            update(ChannelIdentity).where(ChannelIdentity.customer_id.in_(old)).values(last_seen_at=then)
        )
    policy = RetentionSettings(conversations_days=365, batch_size=1)  # one conversation per transaction

    # Another process holds the lock: this one skips its round.
    async with engine.connect() as other:
        assert await other.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY})
        async with exclusive(engine) as mine:
            assert mine is False
        await other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
        await other.commit()

    dry = await run_retention(sessions, policy, dry_run=True)
    assert (dry["conversations"], dry["customers"]) == (2, 2)
    async with exclusive(engine) as mine:
        assert mine is True
        assert await run_retention(sessions, policy) == dry
    async with sessions() as session:
        left = set(await session.scalars(select(Customer.id)))
        assert ids[2] in left and not left & set(old)
