"""Micro-batching: questions that arrive together share one encode call, spread over the model's lanes."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

import numpy as np

Encode = Callable[[list[str]], Awaitable[np.ndarray]]
Encoded = tuple[np.ndarray, np.ndarray | None]  # a vector and, if asked for, matrix @ vector


class MicroBatcher:
    """Queues single questions and hands them to `lanes` (encode functions, one call at a time each).

    The first lane takes whatever is queued (up to `limit`), so under load it gets big, efficient
    batches. The other lanes are spares: when the first is busy, they take the queue only while it holds
    at most `spare_limit` questions, so a quiet chat's question does not wait for another's encode call,
    and a busy chat's questions still pile up into one big batch for the first lane.
    """

    def __init__(self, lanes: Sequence[Encode], *, limit: int, window_s: float, spare_limit: int = 4) -> None:
        self.lanes = list(lanes)
        self.limit = max(1, limit)
        self.window_s = window_s
        self.spare_limit = spare_limit
        self.calls = [0] * len(lanes)
        # (lane, questions) of each encode call, for whoever watches (the bot's metrics); knowledge/
        # knows no metrics library.
        self.on_batch: Callable[[int, int], None] | None = None
        self._queue: deque[tuple[str, np.ndarray | None, asyncio.Future[Encoded]]] = deque()
        self._busy = [False] * len(lanes)
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        """Questions waiting for a lane now."""
        return len(self._queue)

    def start(self) -> None:
        self._runner = asyncio.create_task(self._run(), name="kundresa-encode-batcher")

    async def close(self) -> None:
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        self._runner = None
        await asyncio.gather(*tasks, return_exceptions=True)
        while self._queue:
            self._queue.popleft()[2].cancel()

    async def submit(self, text: str, matrix: np.ndarray | None) -> Encoded:
        fut: asyncio.Future[Encoded] = asyncio.get_running_loop().create_future()
        self._queue.append((text, matrix, fut))
        self._changed.set()
        return await fut

    async def _run(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            if self._queue and not self._busy[0] and len(self._queue) < self.limit and self.window_s > 0:
                # An idle model: a short window lets questions that arrive at the same moment join the call.
                await asyncio.sleep(self.window_s)
            self._dispatch()

    def _dispatch(self) -> None:
        """Start calls on free lanes for what is queued (synchronously: callers rely on the order)."""
        while self._queue:
            lane = self._free_lane()
            if lane is None:
                return
            size = self.limit if lane == 0 else self.spare_limit
            batch = [self._queue.popleft() for _ in range(min(size, len(self._queue)))]
            batch = [item for item in batch if not item[2].done()]
            if not batch:
                continue
            self._busy[lane] = True
            if self.on_batch is not None:
                self.on_batch(lane, len(batch))
            task = asyncio.create_task(self._encode(lane, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _free_lane(self) -> int | None:
        if not self._busy[0]:
            return 0
        if len(self._queue) <= self.spare_limit:
            for lane in range(1, len(self.lanes)):
                if not self._busy[lane]:
                    return lane
        return None

    async def _encode(
        self, lane: int, batch: list[tuple[str, np.ndarray | None, asyncio.Future[Encoded]]]
    ) -> None:
        self.calls[lane] += 1
        try:
            vecs = await self.lanes[lane]([t for t, _, _ in batch])
        except Exception as exc:
            self._free(lane)
            for _, _, f in batch:
                if not f.done():
                    f.set_exception(exc)
            return
        except BaseException:  # cancelled: the batcher is closing
            self._busy[lane] = False
            for _, _, f in batch:
                f.cancel()
            raise
        # The model is free: hand it what queued up during this call before this batch's questions go
        # on (their replies take the event loop a while, and the model would sit idle meanwhile). Those
        # questions have waited a whole call already, so no window.
        self._free(lane)
        matrices = [m for _, m, _ in batch]
        try:
            if _work(vecs, matrices) >= OFFLOAD_MULTIPLY_ADDS:
                # A big knowledge base's product would hold the event loop for milliseconds: a thread
                # (numpy lets go of the GIL in the matrix product).
                projections = await asyncio.get_running_loop().run_in_executor(None, project, vecs, matrices)
            else:
                projections = project(vecs, matrices)
        except Exception as exc:
            for _, _, f in batch:
                if not f.done():
                    f.set_exception(exc)
            return
        for i, (_, _, f) in enumerate(batch):
            if not f.done():
                f.set_result((vecs[i], projections[i]))

    def _free(self, lane: int) -> None:
        self._busy[lane] = False
        if self._runner is not None:  # not closing
            self._dispatch()
            self._changed.set()


# Above this many multiply-adds (about a millisecond on one core) `project` runs on a worker thread.
OFFLOAD_MULTIPLY_ADDS = 20_000_000


def _work(vecs: np.ndarray, matrices: list[np.ndarray | None]) -> int:
    distinct = {id(m): m for m in matrices if m is not None}
    return sum(m.shape[0] * m.shape[1] for m in distinct.values()) * len(vecs)


def project(vecs: np.ndarray, matrices: list[np.ndarray | None]) -> list[np.ndarray | None]:
    """matrix @ vec for each position, one matrix product per distinct matrix (which reads the matrix
    once for the batch instead of once per question)."""
    out: list[np.ndarray | None] = [None] * len(matrices)
    groups: dict[int, list[int]] = {}
    for i, m in enumerate(matrices):
        if m is not None:
            groups.setdefault(id(m), []).append(i)
    for positions in groups.values():
        matrix = matrices[positions[0]]
        assert matrix is not None
        product = matrix @ vecs[positions].T  # (rows, len(positions))
        for j, i in enumerate(positions):
            out[i] = np.ascontiguousarray(product[:, j])
    return out
