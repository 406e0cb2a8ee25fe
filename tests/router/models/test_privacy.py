"""router/models/privacy.py: audit entries outlive their user (no foreign key); erased statistics are
anonymous rows per day and metric."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.models import AuditEntry, ErasedStat


async def test_audit_entries_and_erased_stats_need_no_person(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        session.add(
            AuditEntry(actor_id=12345, actor="cli:root", action="customer.erase", target_kind="customer")
        )
        session.add(ErasedStat(day="2026-12-01", metric="csat", ref=7, value=5.0))
    async with sessions() as session:
        entry = await session.scalar(select(AuditEntry))
        assert entry is not None and entry.actor_id == 12345 and entry.details == {}
        stat = await session.scalar(select(ErasedStat))
        assert stat is not None and (stat.day, stat.metric, stat.value) == ("2026-12-01", "csat", 5.0)
