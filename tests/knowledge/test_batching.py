"""The micro-batcher: questions that arrive together share one encode call, and the model never waits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import pytest

from knowledge.batching import MicroBatcher, project


class GatedLane:
    """A fake encode function: records each call's texts and finishes a call only when released."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[list[str]] = []
        self.gates: list[asyncio.Event] = []
        self.fail: Exception | None = None

    async def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        gate = asyncio.Event()
        self.gates.append(gate)
        await gate.wait()
        if self.fail is not None:
            raise self.fail
        # One vector per text, unique to it, so that each question can check it got its own.
        return np.array([[float(len(t)), float(sum(map(ord, t)))] for t in texts], dtype=np.float32)

    def release(self, call: int) -> None:
        self.gates[call].set()


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(2000):  # 2 s at most
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the condition never came true")


@pytest.fixture
async def one_lane():  # type: ignore[no-untyped-def]
    lane = GatedLane("main")
    batcher = MicroBatcher([lane], limit=8, window_s=0.005)
    batcher.start()
    yield lane, batcher
    for gate in lane.gates:
        gate.set()
    await batcher.close()


async def test_questions_that_arrive_together_share_one_call(one_lane) -> None:  # type: ignore[no-untyped-def]
    lane, batcher = one_lane
    asks = [asyncio.create_task(batcher.submit(f"q{i}", None)) for i in range(5)]
    await until(lambda: len(lane.calls) == 1)
    lane.release(0)
    results = await asyncio.gather(*asks)
    assert lane.calls == [["q0", "q1", "q2", "q3", "q4"]]
    for i, (vec, projected) in enumerate(results):
        assert vec[1] == sum(map(ord, f"q{i}"))  # each question gets its own row back
        assert projected is None


async def test_a_call_takes_at_most_the_limit(one_lane) -> None:  # type: ignore[no-untyped-def]
    lane, batcher = one_lane
    asks = [asyncio.create_task(batcher.submit(f"q{i}", None)) for i in range(11)]
    await until(lambda: len(lane.calls) == 1)
    assert len(lane.calls[0]) == 8
    lane.release(0)
    await until(lambda: len(lane.calls) == 2)
    assert lane.calls[1] == ["q8", "q9", "q10"]
    lane.release(1)
    await asyncio.gather(*asks)


async def test_what_queued_during_a_call_goes_to_the_model_before_the_answers_run_on(one_lane) -> None:  # type: ignore[no-untyped-def]
    lane, batcher = one_lane
    seen_at_answer: list[int] = []

    async def ask(text: str) -> None:
        await batcher.submit(text, None)
        seen_at_answer.append(len(lane.calls))  # how many calls had started when this answer resumed

    first = asyncio.create_task(ask("first"))
    await until(lambda: len(lane.calls) == 1)
    later = [asyncio.create_task(ask(f"later{i}")) for i in range(3)]
    await asyncio.sleep(0.02)  # they queue behind the busy model
    assert len(lane.calls) == 1
    lane.release(0)
    await first
    # The next call had already started when the first batch's question got its answer.
    assert seen_at_answer == [2]
    assert lane.calls[1] == ["later0", "later1", "later2"]
    lane.release(1)
    await asyncio.gather(*later)


async def test_a_failing_call_fails_its_questions_and_the_next_ones_still_run(one_lane) -> None:  # type: ignore[no-untyped-def]
    lane, batcher = one_lane
    lane.fail = RuntimeError("model died")
    ask = asyncio.create_task(batcher.submit("doomed", None))
    await until(lambda: len(lane.calls) == 1)
    queued = asyncio.create_task(batcher.submit("next", None))
    await asyncio.sleep(0.01)
    lane.release(0)
    with pytest.raises(RuntimeError, match="model died"):
        await ask
    lane.fail = None
    await until(lambda: len(lane.calls) == 2)
    lane.release(1)
    vec, _ = await queued
    assert vec[0] == len("next")


async def test_a_cancelled_question_is_left_out_of_the_call(one_lane) -> None:  # type: ignore[no-untyped-def]
    lane, batcher = one_lane
    first = asyncio.create_task(batcher.submit("first", None))
    await until(lambda: len(lane.calls) == 1)
    gone = asyncio.create_task(batcher.submit("gone", None))
    kept = asyncio.create_task(batcher.submit("kept", None))
    await asyncio.sleep(0.01)
    gone.cancel()
    lane.release(0)
    await first
    await until(lambda: len(lane.calls) == 2)
    assert lane.calls[1] == ["kept"]
    lane.release(1)
    await kept


async def test_a_spare_lane_takes_a_lone_question_while_the_main_lane_is_busy() -> None:
    main, spare = GatedLane("main"), GatedLane("spare")
    batcher = MicroBatcher([main, spare], limit=64, window_s=0, spare_limit=2)
    batcher.start()
    try:
        big = [asyncio.create_task(batcher.submit(f"big{i}", None)) for i in range(10)]
        await until(lambda: len(main.calls) == 1)
        lone = asyncio.create_task(batcher.submit("lone", None))
        await until(lambda: len(spare.calls) == 1)
        assert spare.calls == [["lone"]]
        spare.release(0)
        await lone
        main.release(0)
        await asyncio.gather(*big)
    finally:
        for gate in main.gates + spare.gates:
            gate.set()
        await batcher.close()


async def test_close_cancels_what_is_still_waiting() -> None:
    lane = GatedLane("main")
    batcher = MicroBatcher([lane], limit=1, window_s=0)
    batcher.start()
    running = asyncio.create_task(batcher.submit("running", None))
    waiting = asyncio.create_task(batcher.submit("waiting", None))
    await until(lambda: len(lane.calls) == 1)
    await batcher.close()
    for task in (running, waiting):
        with pytest.raises(asyncio.CancelledError):
            await task


def test_project_multiplies_each_matrix_once_for_its_questions() -> None:
    vecs = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float32)
    b = np.array([[10.0, 20.0]], dtype=np.float32)
    out = project(vecs, [a, None, b])
    assert out[1] is None
    np.testing.assert_allclose(out[0], a @ vecs[0])
    np.testing.assert_allclose(out[2], b @ vecs[2])


@pytest.mark.parametrize("offload", [False, True])
async def test_a_big_projection_runs_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch, offload: bool
) -> None:
    import threading

    from knowledge import batching

    ran_on: list[int] = []
    real = batching.project

    def recorded(vecs: np.ndarray, matrices: list[np.ndarray | None]) -> list[np.ndarray | None]:
        ran_on.append(threading.get_ident())
        return real(vecs, matrices)

    monkeypatch.setattr(batching, "project", recorded)
    matrix = np.ones((50, 2), dtype=np.float32)  # 100 multiply-adds a question
    monkeypatch.setattr(batching, "OFFLOAD_MULTIPLY_ADDS", 100 if offload else 10**9)
    lane = GatedLane("main")
    batcher = MicroBatcher([lane], limit=8, window_s=0)
    batcher.start()
    try:
        ask = asyncio.create_task(batcher.submit("q", matrix))
        await until(lambda: len(lane.calls) == 1)
        lane.release(0)
        vec, projected = await ask
        assert projected is not None
        np.testing.assert_allclose(projected, matrix @ vec)
        assert (ran_on[0] != threading.get_ident()) is offload
    finally:
        await batcher.close()
