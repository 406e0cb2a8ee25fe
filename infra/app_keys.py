"""The app-wide state keys every package's handlers read; each package defines its own keys beside them
(`router.web` the router's, `bot.app_keys` the bot's). Opened and closed in `bot.app`'s `cleanup_ctx`."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from config import Settings

__all__ = ["ENGINE", "SESSIONS", "SETTINGS"]

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
