"""The real app on a copy of the demo database, served on a loopback port for the widget's browser tests
(JavaScript API, proactive bubble); small page helpers."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.app import create_app
from infra.app_keys import SESSIONS
from router.models import ChannelIdentity, ProactiveOffer, ShopEvent
from tests.settings_for import settings_for

UI_MS = 20_000
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
IDENTITY_SECRET = "test-identity-secret"


class Site:
    def __init__(self, url: str, app: web.Application) -> None:
        self.url, self.app = url, app

    async def customer_of(self, visitor: str, kind: str = "web_visitor") -> int | None:
        async with self.app[SESSIONS]() as session:
            return await session.scalar(
                select(ChannelIdentity.customer_id).where(
                    ChannelIdentity.kind == kind, ChannelIdentity.external_id == visitor
                )
            )

    async def events_of(self, visitor: str) -> list[ShopEvent]:
        customer = await self.customer_of(visitor)
        if customer is None:
            return []
        async with self.app[SESSIONS]() as session:
            found = await session.scalars(
                select(ShopEvent).where(ShopEvent.customer_id == customer).order_by(ShopEvent.id)
            )
            return list(found)

    async def offers_of(self, visitor: str) -> list[ProactiveOffer]:
        customer = await self.customer_of(visitor)
        async with self.app[SESSIONS]() as session:
            found = await session.scalars(
                select(ProactiveOffer)
                .where(ProactiveOffer.customer_id == customer)
                .order_by(ProactiveOffer.id)
            )
            return list(found)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serve(demo_db: Path, db: Path, **overrides: Any) -> AsyncIterator[Site]:
    """The app on a copy of `demo_db` (no re-embedding), offers without quiet period or hold-out."""
    with contextlib.closing(sqlite3.connect(demo_db)) as a, contextlib.closing(sqlite3.connect(db)) as b:
        a.backup(b)
    proactive = {"events_secret": "test-events-secret", "holdout_share": 0.0, "quiet_minutes": 0}
    settings = settings_for(
        f"sqlite+aiosqlite:///{db}", proactive={**proactive, **overrides.pop("proactive", {})}, **overrides
    )
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield Site(f"http://127.0.0.1:{port}", app)
    finally:
        await runner.cleanup()


async def new_page(browser: Any, viewport: dict[str, int], errors: list[str]) -> tuple[Any, Any]:
    mobile = viewport["width"] < 500
    context = await browser.new_context(
        viewport=viewport, is_mobile=mobile, has_touch=mobile, reduced_motion="reduce"
    )
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


async def visitor_of(page: Any) -> str:
    return str(await page.evaluate("() => localStorage.getItem('kundresa.visitor')"))


async def until(check: Any, seconds: float = UI_MS / 1000) -> Any:
    """Poll an async `check` until it returns something truthy (the server stores asynchronously)."""
    end = time.monotonic() + seconds
    while True:
        got = await check()
        if got or time.monotonic() > end:
            return got
        await asyncio.sleep(0.1)
