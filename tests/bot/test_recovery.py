"""Crash recovery in one process (bot/recovery.py): what a crash left unanswered is answered once.

A "crash" here is a message stored the way the chat stores it (`Router.receive`) with no turn after it:
what a process killed between the acknowledgement and the answer leaves behind. The real `kill -9` of a
real server is in tests/bot/test_crash_recovery.py.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.app_keys import DIALOGUE
from bot.recovery import Recovery
from bot.unanswered import find_unanswered
from config import Settings
from infra.app_keys import ENGINE, SESSIONS
from infra.db import utcnow
from router.identity import Evidence
from router.models import Conversation, Message
from router.web import ROUTER

ANSWERABLE = "hur lång är leveranstiden?"  # the demo knowledge base answers it
TIMEOUT = 20


@pytest.fixture
def settings(demo_db_settings: Settings) -> Settings:
    return demo_db_settings


async def _stored_unanswered(app: Any, visitor: str, text: str = ANSWERABLE, client_id: str = "c1") -> int:
    """A conversation whose customer message was stored and acknowledged, then the process died."""
    router = app[ROUTER]
    _, conv = await router.identify([Evidence("web_visitor", visitor, False)])
    await router.receive(conv, channel="web", address={}, text=text, client_id=client_id)
    return int(conv)


async def _outgoing(app: Any, conv: int) -> list[Message]:
    async with app[SESSIONS]() as session:
        rows = await session.scalars(
            select(Message).where(Message.conversation_id == conv, Message.direction == "out")
        )
        return list(rows)


def _recovery(app: Any, settings: Settings) -> Recovery:
    return Recovery(app[DIALOGUE], app[ENGINE], app[SESSIONS], settings.recovery)


async def test_a_start_answers_each_message_a_crash_left_unanswered_once(
    app_client: Any, settings: Settings
) -> None:
    app = app_client.app
    crashed = [await _stored_unanswered(app, f"crash-{i}") for i in range(3)]
    # Two messages in flight in one conversation (the chat acknowledges the next while the bot is still
    # working on the one before): each gets its own answer.
    await app[ROUTER].receive(crashed[0], channel="web", address={}, text=ANSWERABLE, client_id="c2")
    _, answered = await app[ROUTER].identify([Evidence("web_visitor", "answered", False)])
    inbound = await app[ROUTER].receive(answered, channel="web", address={}, text=ANSWERABLE, client_id="c1")
    await app[DIALOGUE].respond(inbound)  # answered before the crash
    handed_off = await _stored_unanswered(app, "handed-off")
    await app[DIALOGUE].buttons.human(handed_off)  # a person owns it: the bot stays out
    # The customer's next message was answered live (on another process, or before this pass got here):
    # the first one still gets its own answer, since replies name the message they answer (`reply_to`).
    overtaken = await _stored_unanswered(app, "overtaken")
    inbound = await app[ROUTER].receive(overtaken, channel="web", address={}, text=ANSWERABLE, client_id="c2")
    await app[DIALOGUE].respond(inbound)
    unannounced = await _stored_unanswered(app, "unannounced")
    # The process died between opening the ticket and telling the customer.
    tickets = app[ROUTER].tickets
    await tickets.handoff(unannounced, reason="no_answer", question=ANSWERABLE, attempts=[], tags=[])
    too_old = await _stored_unanswered(app, "too-old")
    async with app[SESSIONS]() as session, session.begin():
        old = utcnow() - timedelta(hours=settings.recovery.window_hours + 1)
        stale = update(Message).where(Message.conversation_id == too_old).values(created_at=old)
        await session.execute(stale)
    pending = await find_unanswered_now(app)
    assert {p.conversation_id for p in pending} == {*crashed, overtaken}

    # Two passes at once (two apps of one process here; on PostgreSQL, two processes: tests/test_postgres_
    # startup.py): each message is answered by exactly one of them.
    first, second = _recovery(app, settings), _recovery(app, settings)
    reports = await asyncio.gather(first.run(), second.run())

    assert sum(r.answered for r in reports) == 6
    for conv, expected in zip(crashed, (2, 1, 1), strict=True):
        replies = await _outgoing(app, conv)
        assert [m.kind for m in replies] == ["answer"] * expected, replies
    assert len(await _outgoing(app, answered)) == 1  # not a second time
    replies = await _outgoing(app, overtaken)
    assert sorted(m.payload["reply_to"] for m in replies) == [1, 2], [m.payload for m in replies]
    assert [m.kind for m in await _outgoing(app, handed_off)] == ["handoff"]
    assert [m.kind for m in await _outgoing(app, unannounced)] == ["handoff"]
    assert await _outgoing(app, too_old) == []
    assert (await _recovery(app, settings).run()).found == 0


async def find_unanswered_now(app: Any) -> list[Any]:
    async with app[SESSIONS]() as session:
        return await find_unanswered(session, since=utcnow() - timedelta(hours=1))


async def test_a_resent_message_whose_first_try_got_no_reply_gets_one(app_client: Any) -> None:
    app = app_client.app
    conv = await _stored_unanswered(app, "resender", client_id="m-1")
    async with app[SESSIONS]() as session:
        seq = (await session.get(Conversation, conv)).next_seq - 1  # type: ignore[union-attr]

    ws = await app_client.ws_connect("/ws/chat", params={"visitor": "resender"})
    await ws.send_json({"type": "message", "id": "m-1", "text": ANSWERABLE})
    assert await ws.receive_json(timeout=TIMEOUT) == {"type": "ack", "id": "m-1", "seq": seq}
    reply = await ws.receive_json(timeout=TIMEOUT)
    assert reply["type"] == "answer" and reply["seq"] == seq + 1, reply

    # Answered now: resending again gets the acknowledgement again, and no second answer.
    await ws.send_json({"type": "message", "id": "m-1", "text": ANSWERABLE})
    assert await ws.receive_json(timeout=TIMEOUT) == {"type": "ack", "id": "m-1", "seq": seq}
    await ws.send_json({"type": "end-of-batch"})  # handled in order: its error follows whatever came first
    after = await ws.receive_json(timeout=TIMEOUT)
    assert after["type"] == "error" and after["code"] == "unknown_type", after
    await ws.close()
    assert [m.kind for m in await _outgoing(app, conv)] == ["answer"]


async def test_a_failed_turn_is_answered_again_by_itself(app_client: Any, settings: Settings) -> None:
    """A turn that fails after its message was stored (the database away for a moment) is retried."""
    app = app_client.app
    dialogue = app[DIALOGUE]
    _, conv = await app[ROUTER].identify([Evidence("web_visitor", "flaky", False)])
    inbound = await app[ROUTER].receive(conv, channel="web", address={}, text=ANSWERABLE, client_id="c1")
    real_send = app[ROUTER].send
    failures = iter([ConnectionResetError("the database went away")])

    async def flaky_send(*args: Any, **kwargs: Any) -> Any:
        exc = next(failures, None)
        if exc is not None:
            raise exc
        return await real_send(*args, **kwargs)

    app[ROUTER].send = flaky_send
    try:
        with pytest.raises(ConnectionResetError):
            await dialogue.respond(inbound)
        deadline = asyncio.get_running_loop().time() + TIMEOUT
        while not await _outgoing(app, conv):
            assert asyncio.get_running_loop().time() < deadline, "the failed turn was not tried again"
            await asyncio.sleep(0.2)
    finally:
        app[ROUTER].send = real_send
    assert [m.kind for m in await _outgoing(app, conv)] == ["answer"]
