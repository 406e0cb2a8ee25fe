"""infra/db.py on real SQLite files: UTC datetimes on every backend, the SQLite connection settings the
store relies on (foreign keys, WAL, zeroed deletes), one connection per engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from config import DatabaseSettings
from infra.db import create_engine, create_sessionmaker, iso, utcnow
from router.models import Conversation, Customer


def test_utcnow_and_iso() -> None:
    now = utcnow()
    assert now.tzinfo is UTC and abs(datetime.now(UTC) - now) < timedelta(seconds=5)
    assert iso(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05+00:00"
    assert iso(None) is None


async def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path: Path) -> None:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/db.db"))
    try:
        async with engine.connect() as conn:
            pragmas = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("foreign_keys", "journal_mode", "secure_delete")
            ]
        assert pragmas == [1, "wal", 1]
        assert engine.pool.size() == 1  # type: ignore[attr-defined]  # one writer: transactions queue in asyncio
    finally:
        await engine.dispose()


async def test_datetimes_come_back_aware_in_utc_and_foreign_keys_hold(sessions: Any) -> None:
    async with sessions() as session, session.begin():
        customer = Customer(name="k", created_at=datetime(2026, 5, 4, 12, 2))  # naive: taken as UTC
        session.add(customer)
        await session.flush()
        customer_id = customer.id
    async with sessions() as session:
        stored = await session.get(Customer, customer_id)
        assert stored is not None and stored.created_at == datetime(2026, 5, 4, 12, 2, tzinfo=UTC)
        assert stored.created_at.tzinfo is not None
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            session.add(Conversation(customer_id=999_999))  # no such customer


async def test_an_aware_time_in_another_zone_is_stored_as_the_same_instant(sessions: Any) -> None:
    stockholm = timezone(timedelta(hours=2))
    async with sessions() as session, session.begin():
        customer = Customer(name="k", created_at=datetime(2026, 5, 4, 14, 2, tzinfo=stockholm))
        session.add(customer)
        await session.flush()
        customer_id = customer.id
    async with sessions() as session:
        stored = await session.get(Customer, customer_id)
        assert stored is not None and stored.created_at == datetime(2026, 5, 4, 12, 2, tzinfo=UTC)


def test_sessions_keep_objects_usable_after_commit(tmp_path: Path) -> None:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/db.db"))
    assert create_sessionmaker(engine).kw["expire_on_commit"] is False


async def test_an_in_memory_url_without_a_name_opens(tmp_path: Path) -> None:
    from sqlalchemy import text

    for url in ("sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"):
        engine = create_engine(DatabaseSettings(url=url))
        async with engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one() == 1
        await engine.dispose()
