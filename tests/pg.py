"""A throwaway PostgreSQL cluster for the tests marked `postgres`.

`PgCluster` runs `initdb` into a temporary directory and starts the server listening on a Unix socket in
that directory only (no TCP port, fsync off). It needs the PostgreSQL server binaries: `$KUNDRESA_PG_BINDIR`,
else `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`. PostgreSQL refuses to run as root,
so when the tests run as root the cluster belongs to the `postgres` system user (through `runuser`).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

SUPERUSER = "postgres"
_counter = itertools.count(1)


def find_bindir() -> Path | None:
    """Where `initdb`, `pg_ctl` and `postgres` are; None when they are not installed."""
    candidates: list[Path] = []
    if os.environ.get("KUNDRESA_PG_BINDIR"):
        candidates.append(Path(os.environ["KUNDRESA_PG_BINDIR"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            if out.returncode == 0 and out.stdout.strip():
                candidates.append(Path(out.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in candidates:
        if all((bindir / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def missing_reason() -> str | None:
    """Why the cluster cannot start here (the skip reason), or None when it can."""
    if find_bindir() is None:
        return "PostgreSQL server binaries not found (set KUNDRESA_PG_BINDIR or install postgresql-15)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without `runuser`: cannot start PostgreSQL as another user"
    return None


class PgCluster:
    """One PostgreSQL server in a temporary directory; `url(db)` is a SQLAlchemy asyncpg URL."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="kundresa-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.started = False

    @property
    def socket_dir(self) -> str:
        return str(self.root)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = list(args)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", SUPERUSER, "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}{log}"
            )
        return result

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, SUPERUSER, SUPERUSER)
        self.root.chmod(0o700)
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = f"-k {self.root} -c listen_addresses='' -F -c max_connections=200"
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "start",
        )
        self.started = True

    def createdb(self, name: str) -> None:
        self._run(str(self.bindir / "createdb"), "-h", str(self.root), "-U", SUPERUSER, name)

    def stop(self) -> None:
        try:
            if self.started:
                self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{SUPERUSER}@/{database}?host={self.root}"

    def connect_kwargs(self, database: str = "postgres") -> dict[str, str]:
        """For `asyncpg.connect(**kwargs)`."""
        return {"host": str(self.root), "user": SUPERUSER, "database": database}

    async def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """A new database, empty or a copy of `template` (which nobody may be connected to); its name."""
        import asyncpg

        name = name or f"test_{os.getpid()}_{next(_counter)}"
        conn = await asyncpg.connect(**self.connect_kwargs())
        try:
            await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        finally:
            await conn.close()
        return name

    async def drop_database(self, name: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(**self.connect_kwargs())
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


class Recorder:
    """Event-bus listener that keeps what it hears."""

    def __init__(self) -> None:
        self.events: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

    async def __call__(self, topic: str, data: dict[str, Any]) -> None:
        self.events.put_nowait((topic, data))

    async def until(self, check: Callable[[str, dict[str, Any]], bool], wait: float = 15) -> dict[str, Any]:
        async with asyncio.timeout(wait):
            while True:
                topic, data = await self.events.get()
                if check(topic, data):
                    return data
