"""router/models/tickets.py: tickets have the indexes dispatch and queue positions rely on; one user a
token hash and a name."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from router.models import ROLES, TICKET_STATUSES, User


async def test_the_hot_query_indexes_exist(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        conn = await session.connection()
        names = await conn.run_sync(lambda c: {i["name"] for i in inspect(c).get_indexes("tickets")})
    wanted = {"ix_tickets_queue", "ix_tickets_queue_any", "ix_tickets_assignee_status"}
    assert wanted | {"ix_tickets_conversation_status"} <= names
    assert TICKET_STATUSES[0] == "open" and set(ROLES) == {"agent", "admin"}


async def test_user_names_and_token_hashes_are_unique(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        session.add(User(name="olga", role="agent", token_hash="a" * 64))
    for duplicate in (
        User(name="olga", role="agent", token_hash="b" * 64),
        User(name="per", role="agent", token_hash="a" * 64),
    ):
        with pytest.raises(IntegrityError):
            async with sessions() as session, session.begin():
                session.add(duplicate)
    async with sessions() as session:
        assert (await session.get(User, 1)).presence == "away"  # type: ignore[union-attr]
