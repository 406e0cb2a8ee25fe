"""One phase's customers, on the server's event loop or in a child process (`chat_load.py --client-worker`)
on the same clock."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, astuple, dataclass
from pathlib import Path

from loadgen.customers import Customer, Reply
from loadgen.data import SEED
from loadgen.stats import progress_bar

SCRIPT = str(Path(__file__).resolve().parents[1] / "chat_load.py")  # its --client-worker runs the customers


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
    bar = progress_bar(f"clients: {spec.kind}", None, "reply")

    def record(reply: Reply) -> None:
        replies.append(reply)
        bar.update(1)

    async def start_at() -> float:
        print("ready", flush=True)
        return float(await line())

    visitors = await drive(spec, start_at, record)
    bar.close()
    print(json.dumps({"visitors": visitors, "replies": [astuple(r) for r in replies]}), flush=True)
