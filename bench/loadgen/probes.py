"""Where the server's time goes: timers shadowing the app's own methods, CPU per thread group, GC pauses and
the event loop's lag."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Probes:
    """Time the app's own steps by shadowing methods on the instances (removed by `remove`)."""

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.batches: list[int] = []
        self._installed: list[tuple[Any, str]] = []
        self._restore: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self.seconds.clear()
            self.counts.clear()
            self.batches.clear()

    def add(self, key: str, seconds: float) -> None:
        with self._lock:
            self.seconds[key] += seconds
            self.counts[key] += 1

    def wrap_async(self, obj: Any, name: str, key: str) -> None:
        original = getattr(obj, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.add(key, time.perf_counter() - start)

        setattr(obj, name, timed)
        self._installed.append((obj, name))

    def wrap_lanes(self, embedder: Any) -> None:
        """The micro-batcher's encode calls, per lane (worker process or inference thread): time, sizes."""
        batcher = embedder._batcher
        originals = list(batcher.lanes)

        def timed_lane(lane: int, original: Any) -> Any:
            async def timed(texts: list[str]) -> Any:
                start = time.perf_counter()
                try:
                    return await original(texts)
                finally:
                    elapsed = time.perf_counter() - start
                    self.add("model", elapsed)
                    self.add(f"model_lane{lane}", elapsed)
                    self.batches.append(len(texts))

            return timed

        batcher.lanes[:] = [timed_lane(i, f) for i, f in enumerate(originals)]
        self._restore.append(lambda: batcher.lanes.__setitem__(slice(None), originals))

    def remove(self) -> None:
        for obj, name in reversed(self._installed):
            delattr(obj, name)
        self._installed.clear()
        for restore in self._restore:
            restore()
        self._restore.clear()


def install_probes(app: Any) -> Probes:
    from bot.app_keys import DIALOGUE, EMBEDDER
    from router.web import KB, ROUTER

    probes = Probes()
    router, kb, embedder, dialogue = app[ROUTER], app[KB], app[EMBEDDER], app[DIALOGUE]
    probes.wrap_async(router, "receive", "receive")
    probes.wrap_async(router, "send", "send")
    probes.wrap_async(router, "identify", "identify")
    probes.wrap_async(router.tickets, "handoff", "handoff")
    probes.wrap_async(kb, "search", "search")
    probes.wrap_async(dialogue.states, "load", "bot_state")  # the answer's body comes from the index
    probes.wrap_async(kb, "record_gap", "record_gap")
    probes.wrap_async(embedder, "encode_projected", "encode_one")
    probes.wrap_async(dialogue, "respond", "respond")
    probes.wrap_lanes(embedder)
    return probes


class ThreadCPU:
    """CPU seconds per thread group, from /proc/self/task (Linux); empty elsewhere."""

    def __init__(self) -> None:
        self.tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def snapshot(self) -> dict[int, float]:
        out: dict[int, float] = {}
        try:
            tids = os.listdir("/proc/self/task")
        except OSError:
            return out
        for tid in tids:
            try:
                stat = Path(f"/proc/self/task/{tid}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            out[int(tid)] = (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime
        return out

    def process(self, pid: int | None) -> float:
        """CPU seconds of another process (the client process), 0 if unknown."""
        if pid is None:
            return 0.0
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / self.tick

    def children(self, exclude: list[int]) -> float:
        """CPU seconds of this process's other child processes (a model worker process, say)."""
        total = 0.0
        me = str(os.getpid())
        try:
            pids = [p for p in os.listdir("/proc") if p.isdigit()]
        except OSError:
            return 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and int(pid) not in exclude:
                total += (int(fields[11]) + int(fields[12])) / self.tick
        return total

    def machine(self) -> tuple[float, float]:
        """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
        try:
            values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return 0.0, 0.0
        idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
        total = sum(values[:8])  # guest time is already counted in user
        return (total - idle) / self.tick, total / self.tick

    @staticmethod
    def groups() -> dict[int, str]:
        names: dict[int, str] = {}
        for t in threading.enumerate():
            if t.native_id is None:
                continue
            target = getattr(t, "_target", None)
            if t is threading.main_thread():
                names[t.native_id] = "event loop (main thread)"
            elif t.name.startswith("kundresa-encode"):
                names[t.native_id] = "inference thread"
            elif "aiosqlite" in getattr(target, "__module__", ""):
                names[t.native_id] = "aiosqlite threads"
            else:
                names[t.native_id] = "other Python threads"
        return names

    def diff(self, before: dict[int, float], after: dict[int, float]) -> dict[str, float]:
        names = self.groups()
        out: Counter[str] = Counter()
        for tid, cpu in after.items():
            group = names.get(tid, "native threads (torch intra-op)")
            out[group] += cpu - before.get(tid, 0.0)
        return {k: round(v, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


class GCPauses:
    """The garbage collector's pauses in this process (they stop the event loop), by generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._began = 0.0

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.pauses.append((int(info["generation"]), time.perf_counter() - self._began))

    def __enter__(self) -> GCPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


async def loop_lag(samples: list[float], stop: asyncio.Event, every: float = 0.01) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(every)
        samples.append(max(0.0, time.perf_counter() - start - every))
