"""What the server process asks of Python's garbage collector once start-up is done (`[gc]` settings).

A collection stops the event loop for as long as it walks the objects of the generations it collects.
Left to Python's defaults (thresholds 700/10/10), a burst of thousands of new chat sockets set off full
(generation-2) collections over everything they had built, each longer than the last: 128–620 ms pauses
while 5,000 sockets connected (bench/idle_sockets.py), when a chat answer takes ~100 ms. So:

- `gc.freeze()` of the start-up heap (modules, settings, the index): it lives as long as the server, and
  a full collection no longer walks it;
- a larger generation-2 threshold (100, Python's 10): a full collection is considered after 10 times as
  many young ones, and Python's own rule (the old generation grew by 25 % since the last) still applies,
  so cycles are freed as before, only less often. Measured (`bench/idle_sockets.py --gc-pauses`, 5,000
  sockets): 7 full collections, 2.7–4.9 s of pauses in all, during the burst before; none after, the
  longest pause of any kind then under 100 ms. A larger generation-0 threshold (20,000) was worse: fewer
  young collections but 50–250 ms each, and generation-1 ones of ~0.5 s;
- or full collections on a clock (`full_every_seconds` > 0): the automatic ones are turned off and a task
  collects every generation at a quiet moment (no bot turn in progress), or when the interval has passed a
  second time whatever the load: reference cycles are still freed, only later (off by default).

`GCPauses` reports each collection's pause to a callback (the `kundresa_gc_pause_seconds` histogram).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from config.settings import GCSettings

__all__ = ["GCPauses", "GCPolicy"]

log = logging.getLogger("kundresa.gc")
NEVER = 2**31 - 1  # a generation-2 threshold automatic collections never reach (full collections on a clock)

Quiet = Callable[[float], Awaitable[bool]]  # waits up to `seconds` for a quiet moment; whether it came


class GCPolicy:
    """`apply()` once the app has loaded; `restore()` puts back what was there before. The collector is
    the process's: with several apps in one process (tests), the first to apply sets it and the last to
    restore puts Python's settings back."""

    _holders: ClassVar[int] = 0  # applied policies in this process
    _saved: ClassVar[tuple[int, int, int]] = (700, 10, 10)  # the thresholds before the first applied
    _froze: ClassVar[bool] = False

    def __init__(self, settings: GCSettings, quiet: Quiet | None = None) -> None:
        self.settings = settings
        self.quiet = quiet
        self._applied = False
        self._task: asyncio.Task[None] | None = None
        self.full_collections = 0  # the ones this policy ran on its clock

    @property
    def thresholds(self) -> tuple[int, int, int]:
        s = self.settings
        return (s.gen0_threshold, s.gen1_threshold, NEVER if s.full_every_seconds > 0 else s.gen2_threshold)

    def apply(self) -> None:
        if not self.settings.enabled or self._applied:
            return
        self._applied = True
        cls = type(self)
        cls._holders += 1
        if cls._holders == 1:
            cls._saved = gc.get_threshold()
            # No collection first: start-up's garbage is small, and one here cost every app built in a test
            # run up to 0.4 s.
            if self.settings.freeze:
                gc.freeze()
                cls._froze = True
            gc.set_threshold(*self.thresholds)
        if self.settings.full_every_seconds > 0:
            self._task = asyncio.get_running_loop().create_task(self._clock(), name="gc-full-collections")

    async def restore(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if not self._applied:
            return
        self._applied = False
        cls = type(self)
        cls._holders -= 1
        if cls._holders == 0:
            if cls._froze:
                gc.unfreeze()
                cls._froze = False
            gc.set_threshold(*cls._saved)

    async def _clock(self) -> None:
        every = self.settings.full_every_seconds
        while True:
            await asyncio.sleep(every)
            if self.quiet is not None:
                await self.quiet(every)  # a quiet moment, or after another interval whatever the load
            began = time.perf_counter()
            found = gc.collect()
            self.full_collections += 1
            log.debug(
                "full collection: %d unreachable objects, %.1f ms",
                found,
                1000 * (time.perf_counter() - began),
            )


class GCPauses:
    """Calls `observe(generation, seconds)` after each collection in this process (`gc.callbacks`)."""

    def __init__(self, observe: Callable[[int, float], None]) -> None:
        self.observe = observe
        self._began = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.observe(int(info["generation"]), time.perf_counter() - self._began)

    def attach(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def detach(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._callback)
