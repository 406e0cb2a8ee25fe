"""Restart time of a real `kundresa serve`: SIGTERM → exit, then start → `/healthz` answers.

Run: `.venv/bin/python bench/restart_time.py [--rounds 3] [--db PATH] [--json]`

The server is the installed `kundresa` command (tests/servers.py's `ServeProcess`, its own process group)
on a SQLite database that already holds a knowledge base (`--db`, default: a copy made once in a temporary
folder by one start with the demo knowledge base), with the shipped model settings (`model.processes` 2).
Each round stops the running server with SIGTERM, waits for it to exit, starts a new one and waits until
`/healthz` answers; it prints both times and the server's own account of its start (`model worker ready in
…`). Figures go to BENCHMARKS.md ("Restart and crash recovery").
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ (a package) has the process helpers

from tests.servers import ServeProcess

PHASES = re.compile(r"model worker ready in [\d.]+ s, knowledge base in [\d.]+ s more")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="a SQLite database with a knowledge base (default: the demo, made once)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kundresa-restart-") as tmp:
        logs = Path(tmp)
        db = Path(args.db) if args.db else logs / "kundresa.db"
        settings = {
            "database__url": f"sqlite+aiosqlite:///{db}",
            "server__load_demo_kb": not args.db,
            "model__processes": 2,
        }
        server = ServeProcess(settings, logs, name="round-0").start().wait_ready(timeout=600)
        rounds = []
        try:
            for i in range(1, args.rounds + 1):
                began = time.monotonic()
                code = server.stop(signal.SIGTERM)
                stopped = time.monotonic() - began
                server.close()
                began = time.monotonic()
                server = ServeProcess(settings, logs, name=f"round-{i}").start().wait_ready(timeout=600)
                ready = time.monotonic() - began
                phases = PHASES.search(server.log())
                rounds.append(
                    {
                        "stop_seconds": round(stopped, 2),
                        "exit_code": code,
                        "start_seconds": round(ready, 2),
                        "restart_seconds": round(stopped + ready, 2),
                        "server_says": phases.group(0) if phases else "",
                    }
                )
                if not args.json:
                    r = rounds[-1]
                    print(
                        f"round {i}: SIGTERM → exit {r['stop_seconds']:.2f} s (code {code}), start → ready "
                        f"{r['start_seconds']:.1f} s; {r['server_says']}",
                        file=sys.stderr,
                    )
        finally:
            server.close()
    if args.json:
        print(json.dumps({"rounds": rounds}))


if __name__ == "__main__":
    main()
