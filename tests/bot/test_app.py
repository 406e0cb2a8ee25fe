"""bot/app.py: `create_app(settings)` builds the app without touching anything; starting it fills every
typed key (the app-wide ones of infra/app_keys.py, the router's, the bot's in bot/app_keys.py) and closes
them on cleanup. What each part does is its own module's test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import DRAIN, GC_POLICY, RECOVERY, create_app
from bot.app_keys import DIALOGUE, EMBEDDER, METRICS, WEBCHAT
from bot.channels.webchat import WebChatChannel
from bot.dialogue import Dialogue
from bot.metrics import Metrics
from config import Settings
from infra.app_keys import ENGINE, SESSIONS, SETTINGS
from knowledge import Embedder, KnowledgeBase
from router.events import EventBus
from router.service import Router
from router.web import BUS, KB, ROUTER


def test_building_the_app_touches_nothing(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    settings = make_settings()
    app = create_app(settings)
    assert app[SETTINGS] is settings
    assert not (tmp_path / "kundresa.db").exists()  # no database until the app starts
    paths = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
    assert {"/ws/chat", "/api/articles", "/api/tickets", "/admin", "/widget.js"} <= paths
    assert "/slack/events" not in paths  # Slack is not configured


async def test_starting_fills_every_key_and_cleanup_closes_them(settings: Settings) -> None:
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    app = runner.app
    try:
        expected = {
            ENGINE: AsyncEngine, KB: KnowledgeBase, BUS: EventBus, ROUTER: Router, EMBEDDER: Embedder,
            METRICS: Metrics, DIALOGUE: Dialogue, WEBCHAT: WebChatChannel,
        }  # fmt: skip
        for key, kind in expected.items():
            assert isinstance(app[key], kind), key
        assert DRAIN in app and RECOVERY in app and GC_POLICY in app
        assert await app[KB].is_empty() is False  # the demo database's articles are loaded
        async with app[SESSIONS]() as session:
            assert session.bind is app[ENGINE]
    finally:
        await runner.cleanup()
