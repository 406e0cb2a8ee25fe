"""The message hot path on SQLite (straight on aiosqlite) writes the same rows as SQLAlchemy's Core path."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.app_keys import ROUTER, SESSIONS
from router import conversations as convs
from router.identity import Evidence
from router.models import Conversation, Message


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
    stored = await router.send(conv_id, frame, bot_state={"lang": "sv", "last_answer": "kort"})
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
    async with app[SESSIONS]() as session:
        assert await convs._sqlite_driver(session) is not None  # the fast path is what runs on SQLite

    fast = await _read(app, await _exchange(router, "hot-path-fast"))

    async def no_fast_path(session: Any) -> None:
        return None

    monkeypatch.setattr(convs, "_sqlite_driver", no_fast_path)
    core = await _read(app, await _exchange(router, "hot-path-core"))
    assert fast == core
    assert fast["conversation"][:4] == (4, "bot", "slack", {"channel": "D1"})
    assert (
        fast["messages"][0]["text"] == "Kort [kortnummer dolt]?" or "4111" not in fast["messages"][0]["text"]
    )
    assert fast["messages"][1]["payload"]["seq"] == 2 and fast["messages"][0]["masked"] is True


async def test_unknown_conversation_is_a_lookup_error(app_client: Any) -> None:
    router = app_client.app[ROUTER]
    with pytest.raises(LookupError):
        await router.send(987654, {"type": "notice", "text": "x"})
    with pytest.raises(LookupError):
        await router.receive(987654, channel="web", address={}, text="hej", client_id="z")
