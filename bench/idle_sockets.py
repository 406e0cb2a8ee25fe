"""Thousands of idle chat sockets on one server process: memory per socket, and chat latency while they open.

Run: `.venv/bin/python bench/idle_sockets.py [--sockets 5000] [--questions 40] [--json]`

A real `kundresa serve` process (the installed command, in its own process group) on 127.0.0.1 with a fresh
SQLite database in a temporary folder, the demo knowledge base, the shipped model with one worker process
(`model.processes = 1`), and two settings changed so that one machine can play thousands of visitors:

- `chat.connections_per_minute_per_ip = 0` (no limit): every socket comes from 127.0.0.1, and the shipped
  120 new sockets a minute per address would refuse all but the first 120 (behind a proxy, set
  `server.trusted_proxies` instead, so that each visitor's own address counts);
- `chat.messages_per_minute = 100000`: the probe asks far more than a customer's 30 questions a minute.

Both go in as `KUNDRESA_CHAT__…` environment variables. The file-descriptor limit of this script (inherited
by the server) is raised to what `--sockets` needs (`resource.setrlimit`, up to the hard limit).

Phases, measured by a *probe* customer (one socket in this process) asking answerable Swedish questions of
`bench/data/demo_questions.jsonl` one after another (time from send to the bot's reply):

1. before: `--questions` questions on the idle server;
2. during: a child process (`--opener`, so its CPU is not this script's event loop) opens `--sockets` sockets
   as new visitors, `--concurrency` handshakes at a time, each sending `{"type":"resume","after":0}` as the
   widget does on open, then reading (to answer the server's heartbeat pings) and sending nothing more;
   the probe asks questions until every socket is open;
3. idle: `--questions` more questions with all sockets open.

GC pauses (`--gc-pauses`): the server's `kundresa_gc_pause_seconds` histogram (`/metrics`) read at each
phase's start and end: per phase and generation, how many collections, their total pause, and the bucket
of the longest. The server's `[gc]` settings come from the environment (`KUNDRESA_GC__…`), as any other.

Memory: the server process's resident set (`VmRSS`, the model worker process not included) before the
sockets and once they are all open and idle; the growth divided by the number of sockets is the cost of
one (target < 20 KiB). The report also gives the customer and conversation rows in the database after the
run (lazily created: the probe's only) and the load average around the run: other work on the machine
inflates the latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from machine_facts import cpu_model, loadavg  # bench/, the scripts' own folder

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "data" / "demo_questions.jsonl"
REPLY_TYPES = frozenset({"answer", "clarify", "handoff", "notice"})
TARGET_KIB = 20.0


def raise_fd_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def summary(latencies: list[float]) -> dict[str, Any]:
    ms = [x * 1000 for x in latencies]
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 1),
        "p99_ms": round(pct(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
    }


# --- the server --------------------------------------------------------------------------------------


class Server:
    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.db = folder / "kundresa.db"
        self.log_path = folder / "serve.log"
        env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "KUNDRESA_DATABASE__URL": f"sqlite+aiosqlite:///{self.db}",
            "KUNDRESA_MODEL__PROCESSES": "1",
            "KUNDRESA_CHAT__CONNECTIONS_PER_MINUTE_PER_IP": "0",
            "KUNDRESA_CHAT__MESSAGES_PER_MINUTE": "100000",
        }
        cli = Path(sys.executable).with_name("kundresa")
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [str(cli), "serve", "--port", str(port)],
                env=env,
                cwd=folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"idle_sockets: the server exited:\n{self.log_path.read_text()[-5000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        sys.exit(f"idle_sockets: the server was not ready after {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # a model worker left behind
        except ProcessLookupError:
            pass

    def rows(self) -> dict[str, int]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return {
                t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("customers", "conversations")
            }


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def gc_pauses(url: str) -> dict[str, dict[str, float]]:
    """The server's GC pause histogram now: by generation, count, total seconds and bucket counts."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        text = resp.read().decode()
    found: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        if not line.startswith("kundresa_gc_pause_seconds"):
            continue
        name, value = line.rsplit(" ", 1)
        labels = dict(part.split("=", 1) for part in name[name.index("{") + 1 : -1].split(","))
        gen = found.setdefault(labels["generation"].strip('"'), {})
        if name.startswith("kundresa_gc_pause_seconds_bucket"):
            gen["le " + labels["le"].strip('"')] = float(value)
        elif name.startswith("kundresa_gc_pause_seconds_sum"):
            gen["sum"] = float(value)
        elif name.startswith("kundresa_gc_pause_seconds_count"):
            gen["count"] = float(value)
    return found


def pause_delta(first: dict[str, dict[str, float]], last: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Collections between two readings, by generation: count, total ms, and the longest's bucket."""
    out: dict[str, Any] = {}
    for gen, now in sorted(last.items()):
        was = first.get(gen, {})
        count = int(now.get("count", 0) - was.get("count", 0))
        longest = None
        for key in [k for k in now if k.startswith("le ")]:
            if now[key] - was.get(key, 0) == count and count:  # the first bucket holding them all
                bound = float(key[3:])
                longest = bound if longest is None else min(longest, bound)
        out[gen] = {
            "count": count,
            "total_ms": round(1000 * (now.get("sum", 0) - was.get("sum", 0)), 1),
            "longest_le_ms": None if longest is None else 1000 * longest,
        }
    return out


# --- the probe customer ------------------------------------------------------------------------------


class Probe:
    """One customer asking answerable questions one at a time; a new visitor after a handoff."""

    def __init__(self, http: Any, ws_url: str, questions: list[str]) -> None:
        self.http, self.ws_url, self.questions = http, ws_url, questions
        self.ws: Any = None
        self.asked = 0
        self.handoffs = 0
        self.errors: list[str] = []  # error frames and timeouts (the time until then still counts)

    async def _socket(self) -> Any:
        if self.ws is None or self.ws.closed:
            self.ws = await self.http.ws_connect(
                self.ws_url, params={"visitor": f"probe-{uuid.uuid4().hex[:12]}"}
            )
        return self.ws

    async def ask(self) -> float:
        try:
            return await self._ask()
        except (RuntimeError, TimeoutError) as exc:
            self.errors.append(str(exc)[:200])
            if self.ws is not None:
                await self.ws.close()  # a new visitor for the next question
            return exc.args[1] if len(exc.args) > 1 else 120.0

    async def _ask(self) -> float:
        ws = await self._socket()
        text = self.questions[self.asked % len(self.questions)]
        self.asked += 1
        cid = f"q-{self.asked}"
        start = time.perf_counter()
        await ws.send_json({"type": "message", "id": cid, "text": text})
        acked = False
        while True:
            frame = await ws.receive_json(timeout=120)
            if frame["type"] == "ack" and frame.get("id") == cid:
                acked = True
            elif acked and frame["type"] in REPLY_TYPES:
                if frame["type"] == "handoff":  # a person owns it now: the bot would stay silent
                    self.handoffs += 1
                    await ws.close()
                return time.perf_counter() - start
            elif frame["type"] == "error":
                raise RuntimeError(f"probe got an error: {frame}", time.perf_counter() - start)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


def load_questions() -> list[str]:
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows if r.get("expected")]


# --- the opener (a child process) ----------------------------------------------------------------------


async def open_sockets(ws_url: str, count: int, concurrency: int, resume: bool) -> None:
    import aiohttp

    sockets: list[Any] = []
    readers: list[asyncio.Task[None]] = []
    gate = asyncio.Semaphore(concurrency)
    failures = 0

    async def read(ws: Any) -> None:
        async for _ in ws:  # answers the server's pings; idle sockets get nothing else
            pass

    async def one(i: int, http: aiohttp.ClientSession) -> None:
        nonlocal failures
        async with gate:
            try:
                ws = await http.ws_connect(ws_url, params={"visitor": f"idle-{i}-{uuid.uuid4().hex[:8]}"})
            except (aiohttp.ClientError, OSError):
                failures += 1
                return
            if resume:
                await ws.send_json({"type": "resume", "after": 0})
            sockets.append(ws)
            readers.append(asyncio.create_task(read(ws)))
            if len(sockets) % 500 == 0:
                print(f"open {len(sockets)}", flush=True)

    start = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(one(i, http) for i in range(count)))
        print(f"done {len(sockets)} {failures} {time.perf_counter() - start:.2f}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent says so
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


# --- the run -----------------------------------------------------------------------------------------------


async def measure(args: argparse.Namespace, server: Server) -> dict[str, Any]:
    import aiohttp

    ws_url = server.url.replace("http", "ws") + "/ws/chat"
    async with aiohttp.ClientSession() as http:
        probe = Probe(http, ws_url, load_questions())
        for _ in range(5):  # warm-up: first encodes, caches
            await probe.ask()
        await asyncio.sleep(1.0)
        before_rss = rss_kib(server.proc.pid)
        readings = [await pauses(args, server)]
        before = [await probe.ask() for _ in range(args.questions)]
        readings.append(await pauses(args, server))

        opener = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--opener",
            ws_url,
            "--sockets",
            str(args.sockets),
            "--concurrency",
            str(args.concurrency),
            *([] if args.resume else ["--no-resume"]),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert opener.stdout is not None and opener.stdin is not None
        during: list[float] = []
        opened: dict[str, Any] = {}

        async def watch() -> None:
            assert opener.stdout is not None
            async for raw in opener.stdout:
                line = raw.decode().split()
                print(f"  opener: {' '.join(line)}", file=sys.stderr)
                if line and line[0] == "done":
                    opened.update(open=int(line[1]), failed=int(line[2]), seconds=float(line[3]))
                    return

        watcher = asyncio.create_task(watch())
        while not watcher.done():
            during.append(await probe.ask())
        await watcher
        readings.append(await pauses(args, server))
        await asyncio.sleep(args.settle)
        after_rss = rss_kib(server.proc.pid)
        readings.append(await pauses(args, server))
        idle = [await probe.ask() for _ in range(args.questions)]
        readings.append(await pauses(args, server))
        opener.stdin.close()
        await opener.wait()
        await probe.close()
    worker = [rss_kib(p) for p in children(server.proc.pid)]
    per_socket = (after_rss - before_rss) / max(1, opened.get("open", 0))
    return {
        "sockets": opened,
        "rss_kib": {"before": before_rss, "after": after_rss, "model_workers": worker},
        "kib_per_socket": round(per_socket, 2),
        "target_kib_per_socket": TARGET_KIB,
        "pass": per_socket < TARGET_KIB,
        "chat": {"before": summary(before), "while_opening": summary(during), "all_open": summary(idle)},
        "probe_handoffs": probe.handoffs,
        "probe_errors": probe.errors,
        "rows_after": server.rows(),
        "gc_pauses": (
            {
                phase: pause_delta(readings[i], readings[i + 1])
                for i, phase in ((0, "before"), (1, "while_opening"), (3, "all_open"))
            }
            if args.gc_pauses
            else None
        ),
    }


async def pauses(args: argparse.Namespace, server: Server) -> dict[str, dict[str, float]]:
    if not args.gc_pauses:
        return {}
    return await asyncio.get_running_loop().run_in_executor(None, gc_pauses, server.url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", 1)[0])
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--questions", type=int, default=40, help="probe questions before and after")
    parser.add_argument("--concurrency", type=int, default=200, help="socket handshakes at a time")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds idle before measuring memory")
    parser.add_argument("--no-resume", dest="resume", action="store_false", help="sockets send nothing")
    parser.add_argument(
        "--gc-pauses", action="store_true", help="the server's GC pauses per phase (its /metrics histogram)"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--opener", metavar="WS_URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    raise_fd_limit(args.sockets + 1024)
    if args.opener:
        asyncio.run(open_sockets(args.opener, args.sockets, args.concurrency, args.resume))
        return 0

    load = loadavg()
    with tempfile.TemporaryDirectory(prefix="kundresa-idle-") as tmp:
        server = Server(Path(tmp), free_port())
        try:
            print("starting the server (demo knowledge base, model worker)…", file=sys.stderr)
            server.wait_ready(900)
            result = asyncio.run(measure(args, server))
        finally:
            server.stop()
    result["machine"] = {"cpu": cpu_model(), "cores": os.cpu_count(), "loadavg": [load, loadavg()]}
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    chat = result["chat"]
    print(f"sockets open: {result['sockets']}")
    print(
        f"server RSS: {result['rss_kib']['before']} KiB -> {result['rss_kib']['after']} KiB: "
        f"{result['kib_per_socket']} KiB per socket (target < {TARGET_KIB}) "
        f"{'PASS' if result['pass'] else 'FAIL'}"
    )
    for phase in ("before", "while_opening", "all_open"):
        s = chat[phase]
        p50, p99 = s["p50_ms"], s["p99_ms"]
        print(f"chat {phase:>13}: n={s['n']:>3}  p50 {p50:>7} ms  p99 {p99:>7} ms  max {s['max_ms']} ms")
    for phase, gens in (result["gc_pauses"] or {}).items():
        shown = ", ".join(
            f"gen {g}: {p['count']} x, {p['total_ms']} ms (longest <= {p['longest_le_ms']} ms)"
            for g, p in gens.items()
            if p["count"]
        )
        print(f"gc pauses {phase:>13}: {shown or 'none'}")
    print(f"rows after the run: {result['rows_after']} (probe handoffs: {result['probe_handoffs']})")
    if result["probe_errors"]:
        print(f"probe errors ({len(result['probe_errors'])}): {result['probe_errors'][:3]}")
    print(f"machine: {result['machine']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
