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
reading the article body and `Router.send` (store and deliver the reply), the encode calls and their mean
batch, how busy the inference thread was, the event loop's lag (a 10 ms timer's overshoot), and CPU
seconds per thread group (event loop, inference thread, torch's other threads, aiosqlite's threads).

`--batch-window-ms`, `--batch-size` and `--messages-per-minute` override those settings for experiments
(the defaults are the shipped ones). Progress goes to stderr; the report to stdout (a table, or one JSON
document with `--json`). Nothing is downloaded: the hub is switched off before anything imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import os
import platform
import random
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import asdict, astuple, dataclass, field
from pathlib import Path
from typing import Any

from machine_facts import cpu_model, loadavg  # bench/, the scripts' own folder

os.environ["HF_HUB_OFFLINE"] = "1"  # never reach a model hub, whatever the environment says
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

SEED = 20261126
SCRIPT = str(Path(__file__).resolve())
ROOT = Path(SCRIPT).parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
TARGET_RATIO = 0.8
TARGET_P50_X = 3.0  # p50 ≤ 3 × one raw single-question encode
TARGET_P99_X = 10.0
TARGET_CORES = 2
RAW_QUESTIONS = 500
REPLY_TIMEOUT_S = 30.0
REPLY_TYPES = frozenset({"answer", "clarify", "handoff", "notice"})
REPLIES = REPLY_TYPES  # a question's outcome that is a bot reply (not an error, timeout or closed socket)

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))


# --- data ----------------------------------------------------------------------------------------------


def load_banking77(data_dir: Path) -> tuple[list[Any], list[str]]:
    """One `ArticleData` per intent (training rows as its questions) and the test questions."""
    from knowledge import ArticleData

    folder = data_dir / "banking77"
    for name in ("train.csv", "test.csv"):
        if not (folder / name).exists():
            sys.exit(f"chat_load: {folder / name} not found: pass --data DIR (the shared data folder)")

    def rows(name: str) -> list[tuple[str, str]]:
        with (folder / name).open(encoding="utf-8", newline="") as fh:
            return [(r["text"].strip(), r["category"]) for r in csv.DictReader(fh) if r["text"].strip()]

    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in rows("train.csv"):
        by_intent[intent].append(text)
    articles = []
    for intent in sorted(by_intent):
        topic = intent.replace("_", " ").strip().capitalize()
        articles.append(
            ArticleData(
                slug=intent.lower(),
                title=topic,
                lang="en",
                tags=["banking77"],
                body=f"This article answers questions about {topic.lower()}.\n",
                questions=list(dict.fromkeys(by_intent[intent])),
            )
        )
    tests = [text for text, _ in rows("test.csv")]
    random.Random(SEED).shuffle(tests)
    return articles, tests


# --- customers -----------------------------------------------------------------------------------------


@dataclass
class Reply:
    due: float  # when the question was due (phase 2) or sent (phase 1), perf_counter seconds
    sent: float
    acked: float | None
    replied: float
    kind: str  # answer / clarify / handoff / notice / error:CODE / timeout / closed


class Customer:
    """One customer: a socket at a time, a fresh visitor after a handoff, an error or `per_visitor`."""

    def __init__(
        self,
        http: Any,
        base: str,
        name: str,
        questions: list[str],
        per_visitor: int,
        quiet_notices: frozenset[str],
    ) -> None:
        self.http, self.base, self.name = http, base, name
        self.questions = questions or ["How do I pay?"]
        self.per_visitor = per_visitor
        # The first visitor asks a random share (fixed seed): otherwise every customer, started together,
        # would reconnect at the same moment and the burst of new visitors would stall everyone's acks.
        self.first_visitor = random.Random(f"{SEED}:{name}").randint(1, per_visitor)
        self.quiet_notices = quiet_notices
        self.ws: Any = None
        self.visitors = 0
        self.asked_here = 0
        self.asked = 0

    async def connect(self) -> None:
        await self.close()
        self.visitors += 1
        self.asked_here = 0
        url = f"{self.base}/ws/chat?visitor={self.name}-{self.visitors}"
        self.ws = await self.http.ws_connect(url, autoping=True, max_msg_size=0)

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        self.ws = None

    def next_question(self) -> str:
        text = self.questions[self.asked % len(self.questions)]
        self.asked += 1
        return text

    async def ask(self, due: float | None = None) -> Reply:
        """Send the next question and wait for its reply; rotates the visitor when the bot goes quiet."""
        from aiohttp import WSMsgType

        limit = self.first_visitor if self.visitors <= 1 else self.per_visitor
        if self.ws is None or self.ws.closed or self.asked_here >= limit:
            await self.connect()
        ws, client_id = self.ws, f"q{self.asked_here}"
        text = self.next_question()
        self.asked_here += 1
        sent = time.perf_counter()
        acked: float | None = None
        kind = "timeout"
        try:
            async with asyncio.timeout(REPLY_TIMEOUT_S):
                await ws.send_json({"type": "message", "id": client_id, "text": text})
                while True:
                    msg = await ws.receive()
                    if msg.type != WSMsgType.TEXT:
                        kind = "closed"
                        break
                    frame = json.loads(msg.data)
                    ftype = frame.get("type")
                    if ftype == "ack" and frame.get("id") == client_id:
                        acked = time.perf_counter()
                    elif ftype == "error":
                        kind = f"error:{frame.get('code')}"
                        break
                    elif acked is not None and ftype in REPLY_TYPES:
                        if ftype == "notice" and frame.get("text") in self.quiet_notices:
                            continue  # the card-number warning comes before the real reply
                        kind = ftype
                        break
        except TimeoutError:
            kind = "timeout"
        replied = time.perf_counter()
        if kind not in ("answer", "clarify", "notice"):
            await self.close()  # handoff: an agent owns the conversation now; errors: start clean
        return Reply(sent if due is None else due, sent, acked, replied, kind)


# --- probes --------------------------------------------------------------------------------------------


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


# --- measuring -----------------------------------------------------------------------------------------


def _bar(desc: str, total: int | None, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)


def _pct(values: list[float], q: float) -> float:
    import numpy as np

    return round(float(np.percentile(np.asarray(values) * 1000, q)), 2) if values else float("nan")


def _ms(values: list[float]) -> dict[str, float]:
    mean = round(1000 * sum(values) / len(values), 2) if values else float("nan")
    return {
        "p50": _pct(values, 50),
        "p90": _pct(values, 90),
        "p99": _pct(values, 99),
        "max": _pct(values, 100),
        "mean": mean,
    }


async def raw_encode_rate(embedder: Any, questions: list[str], seconds: float) -> dict[str, Any]:
    """The model alone, in this process on a worker thread, for ~`seconds` each, rounds interleaved:
    `SentenceTransformer.encode` of a fixed list with the configured batch size (the target's yardstick)
    and Kundresa's own batch path (`Embedder.encode_sync`, what the server's worker runs)."""
    loop = asyncio.get_running_loop()
    embedder.load_sync()
    batch_size = embedder.settings.batch_size
    questions = [embedder.prefixes.query + q for q in questions]  # what the server encodes

    def st_encode() -> None:
        embedder._model.encode(
            questions, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )

    def kundresa_path() -> None:
        embedder.encode_sync(questions)

    for fn in (st_encode, kundresa_path):  # warm-up
        await loop.run_in_executor(None, fn)
    bar = _bar("raw encode", None, "question")
    elapsed = {"st": 0.0, "kundresa": 0.0}
    rounds = 0
    while sum(elapsed.values()) < 2 * seconds or rounds < 2:
        for key, fn in (("st", st_encode), ("kundresa", kundresa_path)):
            start = time.perf_counter()
            await loop.run_in_executor(None, fn)
            elapsed[key] += time.perf_counter() - start
            bar.update(len(questions))
        rounds += 1
    bar.close()
    done = rounds * len(questions)

    def single() -> list[float]:
        times = []
        for q in questions[:100]:
            start = time.perf_counter()
            embedder._model.encode([q], normalize_embeddings=True, show_progress_bar=False)
            times.append((time.perf_counter() - start) * 1000)
        return times

    singles = sorted(await loop.run_in_executor(None, single))
    return {
        "single_ms": round(singles[len(singles) // 2], 2),
        "questions_per_s": round(done / elapsed["st"], 1),
        "kundresa_questions_per_s": round(done / elapsed["kundresa"], 1),
        "questions": done,
        "seconds": round(elapsed["st"], 2),
        "list_size": len(questions),
        "batch_size": batch_size,
        "batch_tokens": embedder.settings.batch_tokens,
    }


@dataclass
class LoadSpec:
    """One phase's customers, as sent to a client process."""

    kind: str  # throughput | latency
    base: str
    prefix: str
    customers: int
    per_visitor: int
    warmup: float
    duration: float
    rate: float
    questions: list[str]
    quiet: list[str]

    def window(self, start: float) -> tuple[float, float]:
        return (start + self.warmup, start + self.warmup + self.duration)


async def drive(
    spec: LoadSpec, start_at: Callable[[], Awaitable[float]], record: Callable[[Reply], None]
) -> int:
    """Run one phase's customers; `start_at()` fixes the phase's clock once sockets are ready. Visitors."""
    from aiohttp import ClientSession, TCPConnector

    n, quiet = spec.customers, frozenset(spec.quiet)
    async with ClientSession(connector=TCPConnector(limit=0)) as http:
        crowd = [
            Customer(http, spec.base, f"{spec.prefix}{i}", spec.questions[i::n], spec.per_visitor, quiet)
            for i in range(n)
        ]
        try:
            if spec.kind == "latency":
                for c in crowd:  # sockets open before the clock starts
                    await c.connect()
            start = await start_at()
            end = spec.window(start)[1]
            rng = random.Random(SEED + 2)
            period = 1.0 / spec.rate
            offsets = [rng.random() * period for _ in crowd]

            async def back_to_back(c: Customer, _i: int) -> None:
                while time.perf_counter() < end:
                    record(await c.ask())

            async def paced(c: Customer, i: int) -> None:
                # Time runs from when a question is due: a late reply that delays the next question
                # counts against that question too (no coordinated omission).
                k = 0
                while (due := start + offsets[i] + k * period) < end:
                    delay = due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    record(await c.ask(due))
                    k += 1

            body = back_to_back if spec.kind == "throughput" else paced
            await asyncio.gather(*(body(c, i) for i, c in enumerate(crowd)))
        finally:
            for c in crowd:
                await c.close()
    return sum(c.visitors for c in crowd)


async def drive_in_process(
    spec: LoadSpec, started: asyncio.Future[float], record: Callable[[Reply], None], _pid: list[int]
) -> int:
    async def start_at() -> float:
        start = time.perf_counter() + (0.2 if spec.kind == "latency" else 0.0)
        started.set_result(start)
        return start

    return await drive(spec, start_at, record)


async def drive_in_subprocess(
    spec: LoadSpec, started: asyncio.Future[float], record: Callable[[Reply], None], pid: list[int]
) -> int:
    """The customers in a child process (their own interpreter and GIL), on the same clock."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        SCRIPT,
        "--client-worker",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        limit=1 << 28,  # the replies come back as one JSON line
    )
    pid.append(proc.pid)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(json.dumps(asdict(spec)).encode() + b"\n")
        await proc.stdin.drain()
        if (await proc.stdout.readline()).strip() != b"ready":
            raise RuntimeError("the client process did not start")
        start = time.perf_counter() + 0.2  # perf_counter is the system's monotonic clock on Linux
        started.set_result(start)
        proc.stdin.write(f"{start!r}\n".encode())
        await proc.stdin.drain()
        data = json.loads(await proc.stdout.readline())
    finally:
        if proc.returncode is None:
            proc.stdin.close()
        await proc.wait()
    for row in data["replies"]:
        record(Reply(*row))
    return int(data["visitors"])


async def client_worker() -> None:
    """`--client-worker`: read a LoadSpec on stdin, say ready, read the start time, print the replies."""
    loop = asyncio.get_running_loop()

    async def line() -> str:
        return await loop.run_in_executor(None, sys.stdin.readline)

    spec = LoadSpec(**json.loads(await line()))
    replies: list[Reply] = []
    bar = _bar(f"clients: {spec.kind}", None, "reply")

    def record(reply: Reply) -> None:
        replies.append(reply)
        bar.update(1)

    async def start_at() -> float:
        print("ready", flush=True)
        return float(await line())

    visitors = await drive(spec, start_at, record)
    bar.close()
    print(json.dumps({"visitors": visitors, "replies": [astuple(r) for r in replies]}), flush=True)


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
    bar = _bar(desc, None, "reply") if not subprocess else None

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
        "loop_lag_ms": {"p50": _pct(run.lag, 50), "p99": _pct(run.lag, 99), "max": _pct(run.lag, 100)},
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
        "send_to_reply_ms": _ms([r.replied - r.due for r in ok]),
        "send_to_ack_ms": _ms([r.acked - r.due for r in acked if r.acked is not None]),
        "ack_to_reply_ms": _ms([r.replied - r.acked for r in acked if r.acked is not None]),
        "questions_in_window": len(inside),
        "replied_in_window": sum(1 for r in run.replies if lo <= r.replied < hi and r.kind in REPLIES),
    }


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
    extra["chat"] = {"connections_per_minute_per_ip": 0}
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
            bar = _bar("import BANKING77", len(articles), "article")
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


# --- report --------------------------------------------------------------------------------------------


def _print_server(s: dict[str, Any]) -> None:
    q = s["ms_per_question"]
    parts = [
        ("receive (store message)", "receive"),
        ("kb.search", "search"),
        ("  encode_one (queue + model)", "encode_one"),
        ("bot state read", "bot_state"),
        ("send (store + deliver reply)", "send"),
        ("handoff (ticket)", "handoff"),
    ]
    print("    server time per question (ms, wall time summed over concurrent questions ÷ questions):")
    print("      " + "; ".join(f"{label} {q[key]:.2f}" for label, key in parts if key in q))
    lanes = ", ".join(f"{b:.0%} in {c} calls" for b, c in zip(s["lane_busy"], s["lane_calls"], strict=True))
    print(
        f"    encode: {s['encode_calls']} calls, mean batch {s['mean_batch']} (max {s['max_batch']}), "
        f"encoder busy {s['encoder_busy']:.0%} of the window (per worker: {lanes}); model "
        f"{q.get('model', 0):.2f} ms per question"
    )
    lag = s["loop_lag_ms"]
    gcs = s["gc_pauses"].items()
    pauses = ", ".join(f"{v['count']}× gen {g[-1]} (max {v['max_ms']:.1f} ms)" for g, v in gcs)
    print(
        f"    event loop lag (10 ms timer): p50 {lag['p50']:.1f} ms, p99 {lag['p99']:.1f} ms, "
        f"max {lag['max']:.1f} ms; garbage collector pauses {pauses}"
    )
    cpu = ", ".join(f"{k} {v:.2f}" for k, v in s["cpu_ms_per_question"].items())
    print(f"    server CPU ms per question: {cpu}")
    print(
        "    cores in the window: "
        + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in s["machine_cores"].items())
    )


def print_table(r: dict[str, Any]) -> None:
    m, st, kb, raw = r["machine"], r["settings"], r["kb"], r["raw_encode"]
    t, lat = r["throughput"], r["latency"]
    print("Kundresa web chat load benchmark")
    print(
        f"  machine   {m['usable_cores']} usable cores of {m['cores']} ({m['cpu']}), torch {m['torch']} "
        f"with {m['torch_threads']} threads, Python {m['python']}"
    )
    print(
        f"            load average (1 min) {m['loadavg_1min_before']} before, {m['loadavg_1min_after']} after"
    )
    print(
        f"  settings  model {st['model']} ({st['dtype']}) in {st['processes']} worker {st['worker']}(es), "
        f"batch size "
        f"{st['batch_size']}, batch tokens {st['batch_tokens']}, batch window "
        f"{st['batch_window_ms']} ms, {st['messages_per_minute']} messages/min per socket, new visitor "
        f"every {st['per_visitor']} questions or after a handoff; {st['database']}; "
        f"{st['server_torch_threads']} torch threads and a {st['gil_switch_interval_ms']:g} ms GIL switch "
        f"interval in the phases; {'unpadded' if st['packed'] else 'padded'} forward passes"
    )
    print(
        f"  kb        {kb['articles']} BANKING77 articles, {kb['example_questions']} example questions, "
        f"imported in {kb['import_seconds']:.1f} s (server start {kb['server_startup_seconds']:.1f} s); "
        f"{kb['test_questions']} test questions, seed {kb['seed']}"
    )
    print(
        f"  raw encode  SentenceTransformer.encode {raw['questions_per_s']:.0f} questions/s "
        f"({raw['questions']} questions in lists of {raw['list_size']}, batch size {raw['batch_size']}, "
        f"{raw['seconds']:.1f} s); Kundresa's own batch path (batch_tokens {raw['batch_tokens']}) "
        f"{raw['kundresa_questions_per_s']:.0f}/s"
    )
    print()
    print(
        f"  Phase 1 throughput: {t['customers']} customers back to back, {t['window_s']:.1f} s after "
        f"{t['warmup_s']:.0f} s warm-up, {t['visitors']} visitors"
    )
    lat1 = t["send_to_reply_ms"]
    print(
        f"    {t['answers_per_s']:.1f} replies/s = {t['ratio']:.2f} × raw encode rate "
        f"({t['raw_encode_per_s']:.0f}/s) = {t['ratio_to_kundresa_batches']:.2f} × Kundresa's own batch rate "
        f"({t['raw_kundresa_batches_per_s']:.0f}/s); send→reply p50 {lat1['p50']:.1f} ms, "
        f"p99 {lat1['p99']:.1f} ms"
    )
    print(f"    decisions {', '.join(f'{k} {v}' for k, v in t['decisions'].items())}")
    _print_server(t["server"])
    print()
    print(
        f"  Phase 2 latency: {lat['customers']} customers × {lat['per_customer_rate']:g} question/s at "
        f"random offsets, {lat['window_s']:.1f} s after {lat['warmup_s']:.0f} s warm-up, "
        f"{lat['visitors']} visitors"
    )
    print(
        f"    offered {lat['offered_per_s']:.1f}/s, achieved {lat['achieved_per_s']:.1f} replies/s; "
        f"decisions {', '.join(f'{k} {v}' for k, v in lat['decisions'].items())}"
    )
    print(f"    {'ms':<28}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}{'mean':>8}")
    for label, key in (
        ("send → reply", "send_to_reply_ms"),
        ("  send → ack", "send_to_ack_ms"),
        ("  ack → reply", "ack_to_reply_ms"),
    ):
        s = lat[key]
        cells = "".join(f"{s[k]:>8.1f}" for k in ("p50", "p90", "p99", "max", "mean"))
        print(f"    {label:<28}{cells}")
    _print_server(lat["server"])
    print()
    note = "" if r["target"]["same_core_count"] else f" (measured on {m['usable_cores']} cores, not 2)"
    busy = m["loadavg_1min_before"] or 0
    if busy > 0.5 * m["usable_cores"]:
        note += f"; the machine was busy (load {busy}), so the figures are pessimistic"
    verdict = "PASS" if t["pass"] else "FAIL"
    print(
        f"  target throughput ≥ {t['target_ratio']:.1f} × raw encode rate on 2 cores: {verdict}, "
        f"{t['ratio']:.2f}{note}"
    )
    verdict = "PASS" if lat["pass"] else "FAIL"
    s = lat["send_to_reply_ms"]
    print(
        f"  target p50 ≤ {lat['target_p50_x']:.0f} ×, p99 ≤ {lat['target_p99_x']:.0f} × one raw "
        f"single-question encode ({lat['raw_single_encode_ms']:.1f} ms) at {lat['offered_per_s']:.0f}/s "
        f"on 2 cores: {verdict}, p50 {s['p50']:.1f} ms = {lat['p50_x_single']:.2f} ×, "
        f"p99 {s['p99']:.1f} ms = {lat['p99_x_single']:.2f} ×"
    )


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
