"""Merging customers (router/identity_merge.py): what moves, under which seqs, and how undo gives it back."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from config import ConflictError, NotFoundError
from router import conversations as convs
from router.identity_merge import merge, undo_merge
from router.models import Conversation, Customer, IdentityMerge, Message, Ticket
from tests.router.test_identity import identities, resolve, sessions, visitor, web_user

__all__ = ["sessions"]  # the fixture, imported for pytest


async def add_messages(sessions: async_sessionmaker[AsyncSession], customer_id: int, *texts: str) -> int:
    """The customer's conversation, with these customer messages stored under seqs 1, 2, …"""
    async with sessions() as session, session.begin():
        conv = await convs.current_conversation(session, customer_id)
        for seq, text in enumerate(texts, 1):
            session.add(
                Message(
                    conversation_id=conv.id,
                    seq=seq,
                    channel="web",
                    direction="in",
                    author_kind="customer",
                    kind="message",
                    text=text,
                )
            )
        conv.next_seq = len(texts) + 1
        return conv.id


async def messages(sessions: async_sessionmaker[AsyncSession], conversation_id: int) -> list[tuple[int, str]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.seq)
        )
        return [(m.seq, m.text) for m in rows]


async def test_merge_folds_messages_after_the_targets_and_undo_restores_their_seqs(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    target_id = await resolve(sessions, web_user("u-9"))
    source_id = await resolve(sessions, visitor("tablet"))
    main = await add_messages(sessions, target_id, "hej")
    folded = await add_messages(sessions, source_id, "var är mitt paket?", "order 12")
    async with sessions() as session, session.begin():
        source, target = await session.get(Customer, source_id), await session.get(Customer, target_id)
        assert source is not None and target is not None
        record = await merge(session, source, target, evidence="test")
        assert record is not None
        again = await merge(session, source, target, evidence="test")
        assert again is None, "a customer merged already is not merged twice"
    assert await messages(sessions, main) == [(1, "hej"), (2, "var är mitt paket?"), (3, "order 12")]
    async with sessions() as session:
        conv = await session.get(Conversation, folded)
        assert conv is not None and conv.merged_into_id == main and conv.customer_id == target_id
        assert (await session.get(Conversation, main)).next_seq == 4  # type: ignore[union-attr]
    async with sessions() as session, session.begin():
        await undo_merge(session, record.id)
    assert await messages(sessions, folded) == [(1, "var är mitt paket?"), (2, "order 12")]
    assert await messages(sessions, main) == [(1, "hej")]
    async with sessions() as session:
        # The seqs the moved messages left behind stay unused: nobody reuses a seq.
        assert (await session.get(Conversation, main)).next_seq == 4  # type: ignore[union-attr]


async def test_merge_into_existing_verified_customer_and_undo(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    verified = await resolve(sessions, web_user("u-1"), visitor("laptop"))
    anon = await resolve(sessions, visitor("phone"))
    assert anon != verified
    async with sessions() as session, session.begin():
        conv = await convs.current_conversation(session, anon)
        ticket = Ticket(
            conversation_id=conv.id,
            customer_id=anon,
            status="open",
            team="support",
            reason="no_answer",
            bot_attempts=[],
            context={},
            external_refs={},
        )
        session.add(ticket)
    # The phone's visitor signs in as u-1: the anonymous customer is merged into the verified one.
    assert await resolve(sessions, web_user("u-1"), visitor("phone")) == verified
    async with sessions() as session:
        merges = list(await session.scalars(select(IdentityMerge)))
        assert len(merges) == 1
        record = merges[0]
        assert (record.source_customer_id, record.target_customer_id) == (anon, verified)
        assert record.undone_at is None
        assert "same browser" in record.evidence
        source = await session.get(Customer, anon)
        assert source is not None and source.merged_into_id == verified
        assert (await session.get(Conversation, conv.id)).customer_id == verified  # type: ignore[union-attr]
        assert (await session.get(Ticket, ticket.id)).customer_id == verified  # type: ignore[union-attr]
    assert ("web_visitor", "phone", False) in await identities(sessions, verified)

    async with sessions() as session, session.begin():
        undone = await undo_merge(session, record.id)
        assert undone.undone_at is not None
    async with sessions() as session:
        source = await session.get(Customer, anon)
        assert source is not None and source.merged_into_id is None
        assert (await session.get(Conversation, conv.id)).customer_id == anon  # type: ignore[union-attr]
        assert (await session.get(Ticket, ticket.id)).customer_id == anon  # type: ignore[union-attr]
    assert await identities(sessions, anon) == {("web_visitor", "phone", False)}
    assert await identities(sessions, verified) == {
        ("web_user", "u-1", True),
        ("web_visitor", "laptop", False),
    }
    # Undoing twice is refused (409 over HTTP); an unknown merge is not found.
    async with sessions() as session, session.begin():
        with pytest.raises(ConflictError):
            await undo_merge(session, record.id)
        with pytest.raises(NotFoundError):
            await undo_merge(session, record.id + 100)
