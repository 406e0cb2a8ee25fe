"""What a bot turn costs the database, counted on a real SQLite app: every connection a turn takes from
the pool is one transaction (a read or a write). Pinned so that a change that adds one shows here.

An answer: the message stored (1), the bot's state read (1), the answer stored with the new state (1).
A button: the state read, the reply stored with it (2). A handoff: the message stored, the state read, the
ticket opened with its frame and the state in one transaction (3); a button's handoff 2. (Before the
bot owned its state: an answer 2, a button 2, a handoff 4 and a button's handoff 4.)

And what a turn costs in trips to aiosqlite's thread, each of which waits for the event loop while the one
SQLite connection is held (issue 12): a statement is one trip (infra/sqlite_driver.py), a commit one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event

from bot.app_keys import DIALOGUE
from infra.app_keys import ENGINE
from router.identity import Evidence
from router.web import ROUTER

ANSWERED = "ändra leverans adress"
ASK_FOR_A_PERSON = "jag vill prata med en människa"


@contextmanager
def counted(app: Any) -> Iterator[list[int]]:
    """How many connections the block takes from the pool (each one a transaction)."""
    taken = [0]

    def checkout(*_args: Any) -> None:
        taken[0] += 1

    engine = app[ENGINE].sync_engine
    event.listen(engine, "checkout", checkout)
    try:
        yield taken
    finally:
        event.remove(engine, "checkout", checkout)


async def _conversation(app: Any, visitor: str) -> int:
    _customer, conv_id = await app[ROUTER].identify([Evidence("visitor", visitor, True)])
    return conv_id


async def _message(app: Any, conv_id: int, text: str) -> list[dict[str, Any]]:
    router, dialogue = app[ROUTER], app[DIALOGUE]
    inbound = await router.receive(conv_id, channel="web", address={}, text=text)
    return await dialogue.respond(inbound)


async def test_an_answer_a_button_and_a_handoff_cost_few_transactions(app_client: Any) -> None:
    app = app_client.server.app
    conv_id = await _conversation(app, "tx-answer")
    await _message(app, conv_id, "hej")  # warm: the first turn of a process loads what it caches

    with counted(app) as answer:
        frames = await _message(app, conv_id, ANSWERED)
    assert [f["type"] for f in frames] == ["answer"]
    slug = frames[0]["article"]["slug"]

    with counted(app) as button:
        frames = await app[DIALOGUE].buttons.choose(conv_id, slug)
    assert [f["type"] for f in frames] == ["answer"]

    with counted(app) as handoff:
        frames = await _message(app, conv_id, ASK_FOR_A_PERSON)
    assert [f["type"] for f in frames] == ["handoff"]

    other = await _conversation(app, "tx-button")
    await _message(app, other, "hej")
    with counted(app) as human_button:
        frames = await app[DIALOGUE].buttons.human(other)
    assert [f["type"] for f in frames] == ["handoff"]

    assert (answer[0], button[0], handoff[0], human_button[0]) == (3, 2, 3, 2)


@contextmanager
def trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many calls the block queues to aiosqlite's thread (statements, commits, rollbacks)."""
    queued = [0]
    original = aiosqlite.Connection._execute

    async def counted(conn: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        queued[0] += 1
        return await original(conn, fn, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(aiosqlite.Connection, "_execute", counted)
        yield queued


async def test_an_answer_and_a_handoff_cost_few_trips_to_the_database_thread(
    app_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_client.server.app
    conv_id = await _conversation(app, "trips")
    await _message(app, conv_id, "hej")

    with trips(monkeypatch) as answer:
        assert [f["type"] for f in await _message(app, conv_id, ANSWERED)] == ["answer"]
    with trips(monkeypatch) as handoff:
        assert [f["type"] for f in await _message(app, conv_id, ASK_FOR_A_PERSON)] == ["handoff"]

    # An answer: the message stored (seq, insert, commit), the state read, the answer stored with the
    # state (seq, insert, state, commit). A handoff: the message stored (3), the state read (1), then
    # one transaction of 13 statements (conversation, its tickets, customer, merged customers, payment
    # events, ticket insert, owner, agents, queue, seq, frame, state) and its commit. With SQLAlchemy's
    # stock aiosqlite adapter and 17 statements in the handoff's transaction: 15 and 69.
    assert (answer[0], handoff[0]) == (8, 17)
