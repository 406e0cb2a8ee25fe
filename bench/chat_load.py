"""Web chat under load: many customers on real WebSockets against the real server, BANKING77 questions.

Run: `.venv/bin/python bench/chat_load.py [--customers 50] [--duration 20] [--json]`

The server is `bot.app.create_app` started in this process on 127.0.0.1 (an aiohttp `AppRunner` and a
`TCPSite` on a free port) with the shipped defaults, a fresh SQLite database in a temporary folder, no demo
knowledge base, and demo mode on. After start-up one article per BANKING77 intent (77) is imported through
the app's `KnowledgeBase`: slug = the intent name, title = the name prettified ("Card arrival"), a
one-sentence body, and the intent's training rows (`../shared/data/banking77/train.csv`) as its example
questions.

Customers are aiohttp WebSocket clients on `/ws/chat?visitor=bench-C-V`, in this process and event loop,
asking BANKING77 test rows (`test.csv`, shuffled with seed `SEED`; customer C takes every C-th row). A
question's reply is the first server frame after its ack that is an `answer`, `clarify`, `handoff` or a
`notice` other than the card-number warning (a greeting or "thanks" gets a notice, not an answer); an
`error` frame also ends the question and is counted. The time measured is send → reply. After a handoff
the bot is silent for that conversation (an agent owns it), and the rate limit is 30 messages a minute per
conversation, so a customer opens a new socket as a new visitor after a handoff, an error, or `--per-visitor`
questions (default 20; a customer's first visitor asks a random 1 to `--per-visitor` of them, fixed seed,
so that reconnects are spread out instead of all at once); opening it is outside the send → reply time
but inside the phase's wall clock.

- Phase 1, throughput: `--customers` customers, each sending its next question as soon as it has the
  reply. After `--warmup` seconds the next `--duration` seconds are measured: replies per second. On the
  same machine, before the server starts, the raw batched encode rate is measured in this process on a
  worker thread with the server's torch threads: `SentenceTransformer.encode` of 500
  test questions (batch size from the settings), repeated for about `--raw-seconds` s, in questions per
  second. Target: replies/s ÷ that rate ≥ 0.8. Interleaved with it, the same list through Kundresa's own
  batch path (`Embedder.encode_sync`, as the server's worker process runs it: unpadded passes of at most
  `model.batch_tokens` tokens for BERT-family models such as the bundled one, else length buckets) is
  timed too, and the report gives the ratio to that stricter yardstick as well.
- Phase 2, latency: `--customers` fresh customers, each asking `--rate` questions a second (default 1) on
  a fixed schedule with a random phase per customer (fixed seed), so ≈ 50 questions/s in all. The time
  runs from when a question was due, so a reply that makes the next question late counts against it.
  Questions due in the `--duration` s after `--warmup` s are measured. Targets, as multiples of one raw
  single-question `SentenceTransformer.encode` of the same model measured in the same run (median of
  100, before the server starts): p50 ≤ 3 × and p99 ≤ 10 × (about 40 / 150 ms with the English MiniLM).
  Raw encodes see the texts the server encodes (e5's "query: " prefix included).

For each phase the report also says where the time went, from probes on the app's own objects (instance
attributes, removed afterwards): mean ms per question in `Router.receive` (store the message),
`KnowledgeBase.search` (of which waiting in the embedder's micro-batch queue and the model itself),
reading the bot's state and `Router.send` (store and deliver the reply), the encode calls and their mean
batch, how busy the inference thread was, the event loop's lag (a 10 ms timer's overshoot), and CPU
seconds per thread group (event loop, inference thread, torch's other threads, aiosqlite's threads).

`--batch-window-ms`, `--batch-size` and `--messages-per-minute` override those settings for experiments
(the defaults are the shipped ones). Progress goes to stderr; the report to stdout (a table, or one JSON
document with `--json`). Nothing is downloaded: the hub is switched off before anything imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loadgen.data import SEED, load_banking77  # bench/, the scripts' own folder
from loadgen.drive import LoadSpec, client_worker
from loadgen.phase import breakdown, run_phase, summarize
from loadgen.probes import ThreadCPU, install_probes
from loadgen.report import print_table
from loadgen.stats import progress_bar, raw_encode_rate
from machine_facts import cpu_model, loadavg

os.environ["HF_HUB_OFFLINE"] = "1"  # never reach a model hub, whatever the environment says
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SCRIPT = str(Path(__file__).resolve())
ROOT = Path(SCRIPT).parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TARGET_RATIO = 0.8
TARGET_P50_X = 3.0  # p50 ≤ 3 × one raw single-question encode
TARGET_P99_X = 10.0
TARGET_CORES = 2
RAW_QUESTIONS = 500

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from aiohttp import web

    from bot.app import create_app
    from bot.app_keys import EMBEDDER
    from bot.texts import TEXTS
    from config import load_settings
    from knowledge import Embedder
    from router.web import KB

    articles, tests = load_banking77(Path(args.data))
    quiet = frozenset(t["card_warning"] for t in TEXTS.values())
    load_before = loadavg()
    model_overrides: dict[str, Any] = {}
    if args.batch_window_ms is not None:
        model_overrides["batch_window_ms"] = args.batch_window_ms
    if args.batch_size is not None:
        model_overrides["batch_size"] = args.batch_size
    if args.threads is not None:
        model_overrides["threads"] = args.threads
    if args.processes is not None:
        model_overrides["processes"] = args.processes
    if args.dtype is not None:
        model_overrides["dtype"] = args.dtype
    extra: dict[str, Any] = {"model": model_overrides} if model_overrides else {}
    # Every customer here comes from 127.0.0.1: the per-IP limit on new sockets would count them as one.
    extra["chat"] = {"connections_per_minute_per_ip": 0, "handoffs_per_minute_per_ip": 0}
    if args.messages_per_minute is not None:
        extra["chat"]["messages_per_minute"] = args.messages_per_minute

    with tempfile.TemporaryDirectory(prefix="kundresa-chat-load-") as tmp:
        db_url = args.database_url or f"sqlite+aiosqlite:///{args.db or tmp + '/bench.db'}"
        settings = load_settings(
            environ={},
            database={"url": db_url},
            server={"load_demo_kb": False},
            demo=True,
            **extra,
        )
        # The yardstick first, on this process's own copy of the model: the server is not running yet, and
        # its start-up then freezes that copy's objects with its own (as if the model were not here).
        raw = await raw_encode_rate(Embedder(settings.model), tests[:RAW_QUESTIONS], args.raw_seconds)
        raw["torch_threads"] = torch.get_num_threads()

        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        started = time.perf_counter()
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        startup_seconds = time.perf_counter() - started
        host, port = runner.addresses[0][:2]
        base = f"http://{host}:{port}"
        try:
            kb, embedder = app[KB], app[EMBEDDER]
            bar = progress_bar("import BANKING77", len(articles), "article")
            started = time.perf_counter()
            report = await kb.import_articles(articles, author="bench", progress=bar.update)
            import_seconds = time.perf_counter() - started
            bar.close()

            if args.switch_interval_ms is not None:  # an experiment: the whole process, clients too
                sys.setswitchinterval(args.switch_interval_ms / 1000)

            probes = install_probes(app)
            cpu = ThreadCPU()
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
            run_id = f"{os.getpid():x}{int(time.time()) % 4096:03x}"  # --db: new visitors each run
            subprocess = args.clients == "process"

            def spec(kind: str) -> LoadSpec:
                return LoadSpec(
                    kind=kind,
                    base=base,
                    prefix=f"bench-{run_id}-{kind[0]}",
                    customers=args.customers,
                    per_visitor=args.per_visitor,
                    warmup=args.warmup,
                    duration=args.duration,
                    rate=args.rate,
                    questions=tests,
                    quiet=sorted(quiet),
                )

            phase1 = await run_phase(
                "phase 1 throughput",
                spec("throughput"),
                probes,
                cpu,
                subprocess=subprocess,
                profiler=profiler,
            )
            if profiler is not None:
                _dump_profile(profiler, args.profile)
            phase2 = await run_phase("phase 2 latency", spec("latency"), probes, cpu, subprocess=subprocess)
            probes.remove()
        finally:
            await runner.cleanup()

    t1 = summarize(phase1, "replied")
    answers_per_s = t1["replies"] / phase1.wall
    ratio = answers_per_s / raw["questions_per_s"]
    ratio_kundresa = answers_per_s / raw["kundresa_questions_per_s"]
    t2 = summarize(phase2, "due")
    achieved = t2["replied_in_window"] / phase2.wall
    p50, p99 = t2["send_to_reply_ms"]["p50"], t2["send_to_reply_ms"]["p99"]
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    throughput_pass = ratio >= TARGET_RATIO
    single = raw["single_ms"]
    latency_pass = p50 <= TARGET_P50_X * single and p99 <= TARGET_P99_X * single
    return {
        "machine": {
            "cores": cores,
            "usable_cores": usable,
            "torch_threads": raw["torch_threads"],
            "torch": torch.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu": cpu_model(),
            "loadavg_1min_before": load_before,
            "loadavg_1min_after": loadavg(),
        },
        "settings": {
            "model": embedder.model_id,
            "batch_size": settings.model.batch_size,
            "batch_window_ms": settings.model.batch_window_ms,
            "batch_tokens": settings.model.batch_tokens,
            "worker": settings.model.worker,
            "packed": settings.model.packed,
            "processes": settings.model.processes,
            "dtype": settings.model.dtype,
            "messages_per_minute": settings.chat.messages_per_minute,
            "database": _describe_db(args),
            "per_visitor": args.per_visitor,
            "clients": "a child process" if args.clients == "process" else "the server's event loop",
            "model_threads": settings.model.threads,
            "server_torch_threads": torch.get_num_threads(),
            "gil_switch_interval_ms": round(sys.getswitchinterval() * 1000, 3),
        },
        "kb": {
            "articles": len(articles),
            "example_questions": sum(len(a.questions) for a in articles),
            "created": len(report.created),
            "import_seconds": round(import_seconds, 2),
            "server_startup_seconds": round(startup_seconds, 2),
            "test_questions": len(tests),
            "seed": SEED,
        },
        "raw_encode": raw,
        "throughput": {
            "customers": args.customers,
            "warmup_s": args.warmup,
            "window_s": round(phase1.wall, 2),
            "answers_per_s": round(answers_per_s, 1),
            "raw_encode_per_s": raw["questions_per_s"],
            "ratio": round(ratio, 3),
            "raw_kundresa_batches_per_s": raw["kundresa_questions_per_s"],
            "ratio_to_kundresa_batches": round(ratio_kundresa, 3),
            "target_ratio": TARGET_RATIO,
            "pass": throughput_pass,
            "visitors": phase1.visitors,
            **t1,
            "server": breakdown(phase1),
        },
        "latency": {
            "customers": args.customers,
            "per_customer_rate": args.rate,
            "offered_per_s": round(args.customers * args.rate, 1),
            "achieved_per_s": round(achieved, 1),
            "warmup_s": args.warmup,
            "window_s": round(phase2.wall, 2),
            "raw_single_encode_ms": single,
            "p50_x_single": round(p50 / single, 2),
            "p99_x_single": round(p99 / single, 2),
            "target_p50_x": TARGET_P50_X,
            "target_p99_x": TARGET_P99_X,
            "pass": latency_pass,
            "visitors": phase2.visitors,
            **t2,
            "server": breakdown(phase2),
        },
        "target": {
            "on_cores": TARGET_CORES,
            "same_core_count": usable == TARGET_CORES,
            "pass": throughput_pass and latency_pass,
        },
    }


def _describe_db(args: argparse.Namespace) -> str:
    if args.database_url:
        return args.database_url.split(":", 1)[0] + " (--database-url)"
    return f"sqlite ({'--db ' + args.db if args.db else 'a fresh temporary file'}, WAL)"


def _dump_profile(profiler: Any, path: str) -> None:
    """Save the event loop's profile of phase 1 and show its top entries on stderr."""
    import pstats

    profiler.dump_stats(path)
    stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
    print(f"\nphase 1 event-loop profile ({path}), by own time:", file=sys.stderr)
    stats.print_stats(25)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", 1)[0])
    parser.add_argument("--customers", type=int, default=50, help="concurrent customers in each phase")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per phase")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before each window")
    parser.add_argument("--rate", type=float, default=1.0, help="phase 2: questions a second per customer")
    parser.add_argument("--per-visitor", type=int, default=20, help="questions before a new visitor")
    parser.add_argument("--raw-seconds", type=float, default=5.0, help="how long to time the raw encode")
    parser.add_argument("--batch-window-ms", type=float, default=None, help="override model.batch_window_ms")
    parser.add_argument("--batch-size", type=int, default=None, help="override model.batch_size")
    parser.add_argument(
        "--messages-per-minute", type=int, default=None, help="override chat.messages_per_minute"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="cProfile the event loop in phase 1's window (slows it) to FILE"
    )
    parser.add_argument(
        "--db",
        metavar="FILE",
        help="SQLite file to use instead of a fresh one: a second run skips the encoding (experiments)",
    )
    parser.add_argument("--threads", type=int, default=None, help="override model.threads (raw rate too)")
    parser.add_argument("--processes", type=int, default=None, help="override model.processes")
    parser.add_argument("--dtype", choices=("float32", "bfloat16"), default=None, help="override model.dtype")
    parser.add_argument(
        "--switch-interval-ms", type=float, default=None, help="sys.setswitchinterval during the phases"
    )
    parser.add_argument(
        "--clients",
        choices=("process", "inprocess"),
        default="process",
        help="customers in a child process (default) or on the server's own event loop",
    )
    parser.add_argument("--client-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--database-url", help="an empty database to use instead of SQLite (e.g. postgresql+asyncpg://...)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder with banking77/")
    args = parser.parse_args(argv)
    if args.client_worker:
        asyncio.run(client_worker())
        return 0
    if args.customers < 1 or args.duration <= 0 or args.rate <= 0 or args.per_visitor < 1:
        parser.error("--customers, --duration, --rate and --per-visitor must be positive")
    if args.db:
        args.db = str(Path(args.db).resolve())
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
