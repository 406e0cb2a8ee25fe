"""router/message_store.py: the message hot path on SQLite (straight on aiosqlite) writes the same rows as
SQLAlchemy's Core path; a failed write leaves nothing behind."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from config import NotFoundError
from infra.app_keys import SESSIONS
from router import message_store as store
from router.identity import Evidence
from router.models import Conversation, Message, Ticket
from router.web import ROUTER


def _bot_state(conv_id: int, state: dict[str, Any]) -> Any:
    """A write of the caller's in the frame's transaction (`also`), as the bot stores its state."""

    async def save(write: store.MessageWrite) -> None:
        table = Conversation.__table__
        await write.execute(update(table).where(table.c.id == conv_id).values(bot_state=state), {})

    return save


async def _exchange(router: Any, visitor: str) -> int:
    _, conv_id = await router.identify([Evidence("web_visitor", visitor, False)])
    context = {"step": "payment", "amount": 1847, "currency": "SEK"}
    first = await router.receive(
        conv_id, channel="web", address={}, text="Kort 4111 1111 1111 1111?", client_id="a", context=context
    )
    assert (first.seq, first.duplicate, first.owner) == (1, False, "bot")
    again = await router.receive(conv_id, channel="web", address={}, text="Kort?", client_id="a")
    assert (again.seq, again.duplicate) == (1, True)  # a resend changes nothing
    frame = {"type": "answer", "text": "Så här.", "article": {"slug": "kort", "title": "Kort"}}
    stored = await router.send(
        conv_id, frame, also=_bot_state(conv_id, {"lang": "sv", "last_answer": "kort"})
    )
    assert stored["seq"] == 2
    await router.receive(conv_id, channel="slack", address={"channel": "D1"}, text="tack", client_id="b")
    return conv_id


def _rows(conv: Conversation, messages: list[Message]) -> dict[str, Any]:
    keep = ("seq", "channel", "direction", "author_kind", "author_id", "kind", "text", "payload", "masked",
            "internal", "client_id", "context")  # fmt: skip
    assert all(m.created_at.tzinfo is not None for m in messages)
    return {
        "conversation": (
            conv.next_seq,
            conv.owner,
            conv.last_channel,
            conv.last_address,
            conv.context,
            conv.bot_state,
            conv.updated_at.tzinfo is not None,
        ),
        "messages": [{k: getattr(m, k) for k in keep} for m in messages],
    }


async def _read(app: Any, conv_id: int) -> dict[str, Any]:
    async with app[SESSIONS]() as session:
        conv = await session.get(Conversation, conv_id)
        rows = await session.scalars(
            select(Message).where(Message.conversation_id == conv_id).order_by(Message.seq)
        )
        return _rows(conv, list(rows))


async def test_sqlite_fast_path_writes_what_sqlalchemy_writes(
    app_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_client.app
    router = app[ROUTER]
    assert store._sqlite_fast(app[SESSIONS].kw["bind"].dialect) is not None  # what runs on SQLite

    fast = await _read(app, await _exchange(router, "hot-path-fast"))

    monkeypatch.setattr(store, "_sqlite_fast", lambda dialect: None)
    core = await _read(app, await _exchange(router, "hot-path-core"))
    assert fast == core
    assert fast["conversation"][:4] == (4, "bot", "slack", {"channel": "D1"})
    assert (
        fast["messages"][0]["text"] == "Kort [kortnummer dolt]?" or "4111" not in fast["messages"][0]["text"]
    )
    assert fast["messages"][1]["payload"]["seq"] == 2 and fast["messages"][0]["masked"] is True


async def test_unknown_conversation_is_a_lookup_error(app_client: Any) -> None:
    router = app_client.app[ROUTER]
    with pytest.raises(NotFoundError):
        await router.send(987654, {"type": "notice", "text": "x"})
    with pytest.raises(NotFoundError):
        await router.receive(987654, channel="web", address={}, text="hej", client_id="z")


async def test_a_customer_reply_reassigns_a_ticket_waiting_for_them_in_the_same_transaction(
    app_client: Any,
) -> None:
    app = app_client.app
    router = app[ROUTER]
    _, conv_id = await router.identify([Evidence("web_visitor", "hot-path-ticket", False)])
    ticket, _, _ = await router.tickets.handoff(
        conv_id, reason="asked", question="Hjälp?", attempts=[], tags=[]
    )
    async with app[SESSIONS]() as session, session.begin():
        stored = await session.get(Ticket, ticket.id)
        assert stored is not None
        stored.status = "waiting_customer"  # an agent answered and waits for the customer
    inbound = await router.receive(conv_id, channel="web", address={}, text="Tack, men…", client_id="w1")
    assert inbound.owner == "agent" and not inbound.duplicate
    async with app[SESSIONS]() as session:
        after = await session.get(Ticket, ticket.id)
        assert after is not None and after.status == "assigned"
        texts = await session.scalars(select(Message.text).where(Message.conversation_id == conv_id))
        assert "Tack, men…" in list(texts)


@pytest.mark.parametrize("with_orm", [False, True])
async def test_a_failed_message_write_leaves_nothing_behind(app_client: Any, with_orm: bool) -> None:
    app = app_client.app
    _, conv_id = await app[ROUTER].identify([Evidence("web_visitor", f"hot-path-fail-{with_orm}", False)])
    before = await _read(app, conv_id)
    with pytest.raises(RuntimeError, match="disk full"):
        async with store.message_write(app[SESSIONS]) as write:
            row = await write.take_seq(conv_id, bot_state={"lang": "en"})
            await write.insert_message(
                conversation_id=conv_id, seq=row.seq, channel="web", direction="out", author_kind="bot",
                kind="notice", text="never stored",
            )  # fmt: skip
            if with_orm:  # a step through the ORM session in the same transaction rolls back too
                conv = await (await write.session()).get(Conversation, conv_id)
                assert conv is not None
                conv.owner = "agent"
            raise RuntimeError("disk full")
    assert await _read(app, conv_id) == before
