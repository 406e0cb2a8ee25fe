"""Helpers of the inbox tests (test_inbox.py, test_inbox_worker.py): the rows, and waiting for a state."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

import router.models  # noqa: F401  (registers the tables)
from router.inbox import InboxStore
from router.models import InboxItem

LEASE = timedelta(seconds=60)


async def rows(store: InboxStore) -> dict[str, InboxItem]:
    async with store.sessions() as session:
        return {r.event_id: r for r in await session.scalars(select(InboxItem))}


async def eventually(check: Callable[[], Any], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "never happened"
        await asyncio.sleep(0.02)
