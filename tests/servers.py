"""Real `kundresa serve` processes for tests that race or crash them (loopback only).

A `ServeProcess` runs the installed `kundresa` command in its own process group with settings passed as
`KUNDRESA_*` environment variables, waits for `/healthz`, and on `close()` kills whatever of the group is
left (so a failing test never leaks a server or a model worker). `kill_main()` kills only the server's own
PID with SIGKILL, as a crash would, leaving its children to show whether they die with it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["ServeProcess", "free_port", "group_pids"]

IDENTITY_SECRET = "test-identity-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def group_pids(pgid: int) -> list[int]:
    """PIDs still alive in process group `pgid` (zombies excluded), read from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(entry.name))
    return pids


class ServeProcess:
    """One `kundresa serve` on 127.0.0.1 with the given settings (`{"database__url": …}` style keys)."""

    def __init__(self, settings: Mapping[str, Any], log_dir: Path, name: str = "serve") -> None:
        self.port = free_port()
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.env = {
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "KUNDRESA_SERVER__LOAD_DEMO_KB": "false",
            "KUNDRESA_MODEL__PROCESSES": "1",
            "KUNDRESA_CHAT__IDENTITY_SECRET": IDENTITY_SECRET,
            "KUNDRESA_CHAT__HANDOFFS_PER_MINUTE_PER_IP": "0",  # every test customer is on 127.0.0.1
        }
        for key, value in settings.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            self.env[f"KUNDRESA_{key.upper()}"] = text
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/chat"

    def start(self) -> ServeProcess:
        cli = Path(sys.executable).with_name("kundresa")
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(cli), "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: close() can reap the model workers too
        )
        log.close()
        return self

    def wait_ready(self, timeout: float = 120) -> ServeProcess:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"{self.name} not ready after {timeout} s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-20_000:]
        except OSError:
            return ""

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # start_new_session: the leader's pid is the group id

    def kill_main(self) -> None:
        """SIGKILL the server process only (a crash); its children are left to fend for themselves."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
        """Send `sig` and wait for the exit code."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        """Kill whatever is left of the process group."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        for pid in group_pids(self.pgid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
