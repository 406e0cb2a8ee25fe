"""resolve_customer: who a customer is, from the evidence a channel brings; merges only on verified ids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import DatabaseSettings
from infra.db import create_engine, create_sessionmaker
from infra.migrate import upgrade
from router import conversations as convs
from router.identity import Evidence, resolve_customer
from router.models import ChannelIdentity, Conversation, Customer, IdentityMerge


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path}/identity.db"))
    await upgrade(engine)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


def visitor(vid: str) -> Evidence:
    return Evidence("web_visitor", vid, False)


def web_user(uid: str) -> Evidence:
    return Evidence("web_user", uid, True)


async def resolve(
    sessions: async_sessionmaker[AsyncSession], *evidence: Evidence, email: str | None = None
) -> int:
    async with sessions() as session, session.begin():
        return (await resolve_customer(session, list(evidence), email=email)).id


async def identities(
    sessions: async_sessionmaker[AsyncSession], customer_id: int
) -> set[tuple[str, str, bool]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.customer_id == customer_id)
        )
        return {(r.kind, r.external_id, r.verified) for r in rows}


async def count(sessions: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_anonymous_visitor_is_a_new_customer(sessions: async_sessionmaker[AsyncSession]) -> None:
    a = await resolve(sessions, visitor("v-1"))
    b = await resolve(sessions, visitor("v-2"))
    assert a != b
    assert await identities(sessions, a) == {("web_visitor", "v-1", False)}
    # The same browser again is the same (anonymous) customer.
    assert await resolve(sessions, visitor("v-1")) == a
    assert await count(sessions, Customer) == 2


async def test_same_verified_id_is_the_same_customer(sessions: async_sessionmaker[AsyncSession]) -> None:
    a = await resolve(sessions, web_user("u-1"), visitor("v-1"))
    # Another browser, same signed-in user.
    b = await resolve(sessions, web_user("u-1"), visitor("v-2"))
    assert a == b
    assert await identities(sessions, a) == {
        ("web_user", "u-1", True),
        ("web_visitor", "v-1", False),
        ("web_visitor", "v-2", False),
    }


async def test_verified_email_joins_another_channel(sessions: async_sessionmaker[AsyncSession]) -> None:
    web = await resolve(sessions, web_user("u-1"), visitor("v-1"), email="Anna@Example.se")
    slack = await resolve(sessions, Evidence("slack_user", "U123", True), email="anna@example.se")
    assert slack == web
    ids = await identities(sessions, web)
    assert ("slack_user", "U123", True) in ids
    assert ("email", "anna@example.se", True) in ids
    async with sessions() as session:
        customer = await session.get(Customer, web)
        assert customer is not None and customer.email == "anna@example.se"


async def test_unverified_email_never_joins(sessions: async_sessionmaker[AsyncSession]) -> None:
    web = await resolve(sessions, web_user("u-1"), email="anna@example.se")
    # Anyone can type an email into an anonymous chat: it must not pull them into Anna's customer.
    anon = await resolve(sessions, visitor("v-9"), email="anna@example.se")
    assert anon != web
    async with sessions() as session:
        customer = await session.get(Customer, anon)
        assert customer is not None and customer.email is None


async def test_two_verified_ids_are_never_merged(sessions: async_sessionmaker[AsyncSession]) -> None:
    first = await resolve(sessions, web_user("u-1"), visitor("shared-browser"))
    second = await resolve(sessions, web_user("u-2"), visitor("shared-browser"))
    assert first != second
    assert await count(sessions, IdentityMerge) == 0
    # The visitor id stays with the first verified customer; the second user gets only their own id.
    assert ("web_visitor", "shared-browser", False) in await identities(sessions, first)
    assert await identities(sessions, second) == {("web_user", "u-2", True)}
    # And each keeps resolving to themselves.
    assert await resolve(sessions, web_user("u-1"), visitor("shared-browser")) == first
    assert await resolve(sessions, web_user("u-2"), visitor("shared-browser")) == second


async def test_unverified_visit_never_enters_a_verified_customer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    verified = await resolve(sessions, web_user("u-1"), visitor("v-1"))
    anon = await resolve(sessions, visitor("v-1"))  # the same browser, signed out
    assert anon != verified
    assert await identities(sessions, verified) >= {("web_user", "u-1", True)}


async def test_anonymous_visitor_joins_when_verifying_in_the_same_browser(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    anon = await resolve(sessions, visitor("v-1"))
    async with sessions() as session, session.begin():
        conv = await convs.current_conversation(session, anon)
    # Verifying for the first time: the anonymous customer simply becomes the verified one.
    verified = await resolve(sessions, web_user("u-1"), visitor("v-1"))
    assert verified == anon
    assert await identities(sessions, verified) == {
        ("web_user", "u-1", True),
        ("web_visitor", "v-1", False),
    }
    async with sessions() as session:
        assert (await session.get(Conversation, conv.id)).customer_id == verified  # type: ignore[union-attr]
