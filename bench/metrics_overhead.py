"""What the metrics and log context cost a chat turn, on the event loop.

Run: `.venv/bin/python bench/metrics_overhead.py [--turns 200000] [--json]`

One web chat turn that the bot answers makes these calls into `bot.metrics` / `bot.logs` (see
`bot/dialogue.py`, `bot/channels/webchat/inbound.py`): the bus events of the message in and the answer out
(`Metrics.on_event`, through `EventBus.bridge`), five stage observations (store, search, decide, send,
turn; three of them through `Metrics.timed`), one decision, one model batch, the conversation id set and
reset (`bot.logs.conversation`) and the per-frame `CONVERSATION_ID.set`, and a disabled `log.debug`.
They are timed here in a loop (CPU time of this thread, so other processes on a shared machine do not
count), against the same loop doing nothing, and compared with the event loop's CPU per question that
`bench/chat_load.py` measured (3.9–6.6 ms, BENCHMARKS.md). A
scrape (`Metrics.render`) is timed too, with every label of a busy deployment present: it runs once per
scrape interval, not per turn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.logs import CONVERSATION_ID, conversation
from bot.metrics import STAGES, Metrics

LOOP_CPU_PER_QUESTION_MS = (3.9, 6.6)  # bench/chat_load.py, BENCHMARKS.md (e5, 2026-12-01)
log = logging.getLogger("kundresa.dialogue")


async def turn(metrics: Metrics, conv_id: int) -> None:
    CONVERSATION_ID.set(conv_id)
    began = time.perf_counter()
    await metrics.on_event(
        "conversation", {"conversation_id": conv_id, "author": "customer", "channel": "web"}
    )
    metrics.observe("store", time.perf_counter() - began)
    with conversation(conv_id):
        with metrics.timed("search"):
            metrics.model_batch(0, 1)
        with metrics.timed("decide"):
            pass
        metrics.decision("answer", "sv")
        log.debug("bot decision: %s (%s)", "answer", "sv")
        with metrics.timed("send"):
            frame = {"type": "answer", "seq": 2}
            await metrics.on_event("conversation", {"author": "bot", "frame": frame, "channel": "web"})
    metrics.observe("turn", time.perf_counter() - began)


async def nothing(metrics: Metrics, conv_id: int) -> None:
    began = time.perf_counter()
    frame = {"type": "answer", "seq": 2}
    _ = (frame, time.perf_counter() - began)


async def timed(fn: object, metrics: Metrics, turns: int) -> float:
    run = fn  # type: ignore[assignment]
    began = time.thread_time()  # CPU time: other processes on a shared machine do not count
    for i in range(turns):
        await run(metrics, i)  # type: ignore[operator]
    return (time.thread_time() - began) / turns


async def main_async(turns: int, repeats: int) -> dict[str, object]:
    logging.basicConfig(level=logging.INFO)  # as served: debug lines are off
    metrics = Metrics()
    per_turn, baseline = [], []
    for _ in range(repeats):
        baseline.append(await timed(nothing, metrics, turns))
        per_turn.append(await timed(turn, metrics, turns))
    # a busy deployment's labels: both channels, every kind and language, handoff reasons, lanes, errors
    for channel in ("web", "slack"):
        for direction in ("in", "out"):
            metrics.messages.labels(channel, direction).inc()
    for kind in ("answer", "clarify", "handoff", "say"):
        for lang in ("sv", "en"):
            metrics.decision(kind, lang)
    for reason in ("asked_for_human", "no_answer", "clarify_failed", "frustrated", "not_helpful"):
        metrics.handoff(reason)
    for lane in (0, 1):
        metrics.model_batch(lane, 3)
    metrics.slack_api_error("chat.postMessage", "ratelimited")
    metrics.tickets = {"open": 3, "assigned": 2, "waiting_customer": 1, "resolved": 9, "closed": 99}
    renders = []
    for _ in range(200):
        began = time.thread_time()
        body = metrics.render()
        renders.append(time.thread_time() - began)
    added_us = (statistics.median(per_turn) - statistics.median(baseline)) * 1e6
    return {
        "turns": turns,
        "repeats": repeats,
        "stages": list(STAGES),
        "per_turn_us": round(statistics.median(per_turn) * 1e6, 2),
        "baseline_us": round(statistics.median(baseline) * 1e6, 2),
        "added_us": round(added_us, 2),
        "share_of_loop_cpu_per_question_pct": [
            round(added_us / (ms * 1000) * 100, 3) for ms in LOOP_CPU_PER_QUESTION_MS
        ],
        "render_ms_median": round(statistics.median(renders) * 1000, 3),
        "render_bytes": len(body),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = asyncio.run(main_async(args.turns, args.repeats))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"instrumented turn: {report['per_turn_us']} µs, bare loop {report['baseline_us']} µs")
        print(
            f"added per turn: {report['added_us']} µs = {report['share_of_loop_cpu_per_question_pct']} % of"
        )
        print(f"  the event loop's CPU per question under load ({LOOP_CPU_PER_QUESTION_MS} ms)")
        print(f"a scrape: {report['render_ms_median']} ms to render {report['render_bytes']} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
