"""bot/turns.py: the turns in progress in one process; which messages are being answered, and waiting for
none to be left."""

from __future__ import annotations

import asyncio

from bot.turns import Turns


async def test_idle_waits_for_every_turn_and_times_out_while_one_runs() -> None:
    turns = Turns()
    assert await turns.idle(0.01)
    with turns.track((7, 3)):
        assert turns.answering(7, 3) and not turns.answering(7, 4) and turns.count == 1
        assert not await turns.idle(0.01)
    assert not turns.answering(7, 3) and turns.messages == {}
    assert await turns.idle(0.01)


async def test_two_turns_on_one_message_and_a_failing_turn() -> None:
    turns = Turns()
    with turns.track((1, 1)), turns.track((1, 1)):
        assert turns.messages[(1, 1)] == 2
    try:
        with turns.track():
            raise RuntimeError("the turn failed")
    except RuntimeError:
        pass
    assert turns.count == 0 and await turns.idle(0.01)


async def test_idle_returns_once_the_last_turn_ends() -> None:
    turns = Turns()
    release = asyncio.Event()

    async def turn() -> None:
        with turns.track():
            await release.wait()

    task = asyncio.create_task(turn())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(turns.idle(5))
    await asyncio.sleep(0.01)
    assert not waiting.done()
    release.set()
    assert await waiting
    await task


async def test_idle_with_no_time_to_wait_says_whether_any_turn_runs() -> None:
    turns = Turns()
    assert await turns.idle(0)  # a drain with no grace time: nothing runs, nothing to warn about
    with turns.track((1, 1)):
        assert not await turns.idle(0)
