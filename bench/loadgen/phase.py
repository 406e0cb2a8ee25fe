"""One measured phase: drive the customers, probe the server over the window, and sum up the replies."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from loadgen.customers import REPLY_TYPES, Reply
from loadgen.drive import LoadSpec, drive_in_process, drive_in_subprocess
from loadgen.probes import GCPauses, Probes, ThreadCPU, loop_lag
from loadgen.stats import ms_stats, percentile_ms, progress_bar

REPLIES = REPLY_TYPES  # a question's outcome that is a bot reply (not an error, timeout or closed socket)


@dataclass
class PhaseRun:
    replies: list[Reply] = field(default_factory=list)
    window: tuple[float, float] = (0.0, 0.0)
    wall: float = 0.0
    lag: list[float] = field(default_factory=list)
    gc_pauses: list[tuple[int, float]] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    probes: dict[str, Any] = field(default_factory=dict)
    visitors: int = 0
    machine: dict[str, float] = field(default_factory=dict)  # cores busy in the window, by whom


async def run_phase(
    desc: str, spec: LoadSpec, probes: Probes, cpu: ThreadCPU, *, subprocess: bool, profiler: Any = None
) -> PhaseRun:
    """Drive one phase and measure the server over its window."""
    run = PhaseRun()
    bar = progress_bar(desc, None, "reply") if not subprocess else None

    def record(reply: Reply) -> None:
        run.replies.append(reply)
        if bar is not None:
            bar.update(1)

    started: asyncio.Future[float] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    lag_task = asyncio.create_task(loop_lag(run.lag, stop))
    measured: dict[str, Any] = {}

    async def measure_window() -> None:
        # Probe sums and CPU cover exactly the measured window.
        run.window = window = spec.window(await started)
        await asyncio.sleep(max(0.0, window[0] - time.perf_counter()))
        probes.reset()
        measured["cpu0"], measured["t0"], measured["lag0"] = cpu.snapshot(), time.perf_counter(), len(run.lag)
        measured["client0"] = cpu.process(client_pid[0] if client_pid else None)
        measured["children0"] = cpu.children(client_pid)
        measured["machine0"] = cpu.machine()
        if profiler is not None:
            profiler.enable()  # the event loop's thread only
        with GCPauses() as pauses:
            await asyncio.sleep(max(0.0, window[1] - time.perf_counter()))
        run.gc_pauses = pauses.pauses
        if profiler is not None:
            profiler.disable()
        measured["cpu1"], measured["t1"], measured["lag1"] = cpu.snapshot(), time.perf_counter(), len(run.lag)
        measured["client1"] = cpu.process(client_pid[0] if client_pid else None)
        measured["children1"] = cpu.children(client_pid)
        measured["machine1"] = cpu.machine()
        measured["probes"] = {
            "seconds": dict(probes.seconds),
            "counts": dict(probes.counts),
            "batches": list(probes.batches),
        }

    client_pid: list[int] = []
    watcher = asyncio.create_task(measure_window())
    try:
        drive_phase = drive_in_subprocess if subprocess else drive_in_process
        run.visitors = await drive_phase(spec, started, record, client_pid)
        await watcher
    finally:
        watcher.cancel()
        stop.set()
        await lag_task
        if bar is not None:
            bar.close()
    run.wall = measured["t1"] - measured["t0"]
    run.cpu = cpu.diff(measured["cpu0"], measured["cpu1"])
    children = measured["children1"] - measured["children0"]
    if children > 0.005:
        run.cpu["server's child processes (model worker)"] = round(children, 2)
    server = sum(run.cpu.values())
    clients = measured["client1"] - measured["client0"]
    (busy0, total0), (busy1, total1) = measured["machine0"], measured["machine1"]
    busy = busy1 - busy0
    run.machine = {
        "server_processes": round(server / run.wall, 2),
        "client_process": round(clients / run.wall, 2),
        "other_processes": round(max(0.0, busy - server - clients) / run.wall, 2),
        "idle": round(max(0.0, (total1 - total0) - busy) / run.wall, 2),
    }
    run.lag = run.lag[measured["lag0"] : measured["lag1"]]
    run.probes = measured["probes"]
    return run


def breakdown(run: PhaseRun) -> dict[str, Any]:
    """Where the measured window's time went, per question the server stored in the window."""
    p = run.probes
    secs, counts, batches = p["seconds"], p["counts"], p["batches"]
    questions = counts.get("receive", 0)
    per_q = {}
    for key in ("receive", "search", "encode_one", "model", "bot_state", "send", "handoff", "respond"):
        if counts.get(key):
            per_q[key] = round(1000 * secs[key] / max(1, questions), 3)
    mean_ms = {k: round(1000 * secs[k] / counts[k], 2) for k in secs if counts.get(k)}
    model_s = secs.get("model", 0.0)
    return {
        "questions_stored": questions,
        "ms_per_question": per_q,
        "mean_ms_per_call": mean_ms,
        "calls": {k: counts[k] for k in sorted(counts)},
        "encode_calls": len(batches),
        "mean_batch": round(sum(batches) / len(batches), 1) if batches else 0,
        "max_batch": max(batches, default=0),
        "encoder_busy": round(model_s / run.wall, 3) if run.wall else None,
        "lane_busy": [
            round(secs[f"model_lane{i}"] / run.wall, 3)
            for i in range(8)
            if counts.get(f"model_lane{i}") and run.wall
        ],
        "lane_calls": [counts[f"model_lane{i}"] for i in range(8) if counts.get(f"model_lane{i}")],
        "loop_lag_ms": {
            "p50": percentile_ms(run.lag, 50),
            "p99": percentile_ms(run.lag, 99),
            "max": percentile_ms(run.lag, 100),
        },
        "gc_pauses": {
            f"generation_{g}": {
                "count": len(ms := [1000 * d for gen, d in run.gc_pauses if gen == g]),
                "max_ms": round(max(ms, default=0.0), 1),
            }
            for g in (0, 1, 2)
        },
        "cpu_seconds": run.cpu,
        "cpu_cores_used": round(sum(run.cpu.values()) / run.wall, 2) if run.wall else None,
        "cpu_ms_per_question": {k: round(1000 * v / max(1, questions), 2) for k, v in run.cpu.items()},
        "machine_cores": run.machine,
    }


def summarize(run: PhaseRun, by: str) -> dict[str, Any]:
    """Replies counted in the window: by when they arrived (throughput) or when they were due (latency)."""
    lo, hi = run.window
    if by == "replied":
        inside = [r for r in run.replies if lo <= r.replied < hi]
    else:
        inside = [r for r in run.replies if lo <= r.due < hi]
    ok = [r for r in inside if r.kind in REPLIES]
    kinds = Counter(r.kind for r in inside)
    acked = [r for r in ok if r.acked is not None]
    return {
        "replies": len(ok),
        "failed": len(inside) - len(ok),
        "decisions": dict(sorted(kinds.items())),
        "send_to_reply_ms": ms_stats([r.replied - r.due for r in ok]),
        "send_to_ack_ms": ms_stats([r.acked - r.due for r in acked if r.acked is not None]),
        "ack_to_reply_ms": ms_stats([r.replied - r.acked for r in acked if r.acked is not None]),
        "questions_in_window": len(inside),
        "replied_in_window": sum(1 for r in run.replies if lo <= r.replied < hi and r.kind in REPLIES),
    }
