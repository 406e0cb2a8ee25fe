"""One process at a time through start-up's shared steps: migrations and the demo knowledge-base import.

Processes started at the same instant on an empty database would otherwise each create the tables and each
import the demo articles (the second then failed on `uq_articles_slug`). On PostgreSQL the steps run under a
session-level advisory lock held on a connection of its own (PostgreSQL releases it should the process die);
on a SQLite file under an exclusive `flock` of a file beside the database (the kernel releases it likewise);
an in-memory SQLite database belongs to one process and needs none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("kundresa.startup")

__all__ = ["advisory_key", "sqlite_file", "startup_lock"]


def advisory_key(name: str) -> int:
    """A stable 64-bit advisory lock key for `name`, in a range of Kundresa's own."""
    return (0x4B55_4E44 << 32) | zlib.crc32(name.encode("utf-8"))  # "KUND" in the high half


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for an in-memory database."""
    database = url.database or ""
    if (
        not database
        or database == ":memory:"
        or "mode=memory" in database
        or database.startswith("file::memory:")
    ):
        return None
    if database.startswith("file:"):
        database = database[5:].split("?", 1)[0]
    return Path(database).expanduser()


@contextlib.asynccontextmanager
async def startup_lock(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    """Hold the deployment-wide lock `name` (e.g. "migrations") for the block; waits while another process
    holds it, saying so in the log."""
    if engine.dialect.name == "postgresql":
        async with _advisory_lock(engine, name):
            yield
        return
    path = sqlite_file(engine.url) if engine.dialect.name == "sqlite" else None
    if path is None:
        yield
        return
    async with _file_lock(path.with_name(f"{path.name}.{name.replace(' ', '-')}.lock"), name):
        yield


@contextlib.asynccontextmanager
async def _advisory_lock(engine: AsyncEngine, name: str) -> AsyncIterator[None]:
    key = advisory_key(name)
    async with engine.connect() as conn:
        got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
        if not got:
            log.info("waiting for another process to finish the %s", name)
            await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        await conn.commit()  # the lock is the session's: no transaction stays open while others work
        try:
            yield
        finally:
            try:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await conn.commit()
            except Exception:
                # The connection is broken: closing it is what releases the lock now.
                await conn.invalidate()


@contextlib.asynccontextmanager
async def _file_lock(path: Path, name: str) -> AsyncIterator[None]:
    try:
        import fcntl
    except ImportError:  # not POSIX: SQLite's own locking is all there is
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        waited = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.info("waiting for another process to finish the %s (%s)", name, path)
                    waited = True
                await asyncio.sleep(0.05)  # polled, not blocking: the event loop stays free
        yield
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race a waiting process)
