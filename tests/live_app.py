"""The real app on an event loop of its own, in a thread, for synchronous (hypothesis) tests.

Hypothesis drives plain functions; pytest-aiohttp's client lives in the test's loop. `LiveApp` starts the app
(`create_app(settings)` behind aiohttp's `TestClient`) on a loop in a background thread, and `run(coro)` runs
a coroutine there and returns its result. `rows()` counts every table's rows: what a rejected request must
leave unchanged.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import inspect, text

from bot.app import create_app
from config import Settings
from infra.app_keys import ENGINE, SESSIONS
from router.auth import create_user

T = TypeVar("T")
IGNORED_TABLES = frozenset({"alembic_version"})


class LiveApp:
    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="live-app", daemon=True)
        self.thread.start()
        self.client: TestClient = self.run(self._start(settings), timeout=300)
        self.tables: list[str] = self.run(self._tables())

    async def _start(self, settings: Settings) -> TestClient:
        client = TestClient(TestServer(create_app(settings)))
        await client.start_server()
        return client

    async def _tables(self) -> list[str]:
        async with self.client.app[ENGINE].connect() as conn:
            names = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        return sorted(n for n in names if n not in IGNORED_TABLES)

    def run(self, coro: Awaitable[T], timeout: float = 60) -> T:
        async def wrapped() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout)

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        return self.run(fn(*args, **kwargs))

    async def rows_async(self) -> dict[str, int]:
        async with self.client.app[ENGINE].connect() as conn:
            counts = {}
            for name in self.tables:
                counts[name] = int((await conn.execute(text(f'SELECT count(*) FROM "{name}"'))).scalar_one())
        return counts

    def rows(self) -> dict[str, int]:
        """Every table's row count (what a rejected request must leave as it was)."""
        return self.run(self.rows_async())

    def token(self, name: str, role: str) -> str:
        async def make() -> str:
            async with self.client.app[SESSIONS]() as session, session.begin():
                _, token = await create_user(session, name, role)
            return token

        return self.run(make())

    def close(self) -> None:
        try:
            self.run(self.client.close(), timeout=60)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)
            self.loop.close()
