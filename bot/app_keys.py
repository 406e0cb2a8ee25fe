"""Typed application state keys: everything the app holds is opened and closed in `cleanup_ctx`."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.metrics import Metrics
from config import Settings
from knowledge import Embedder, KnowledgeBase

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
EMBEDDER = web.AppKey("embedder", Embedder)
KB = web.AppKey("knowledge_base", KnowledgeBase)
METRICS = web.AppKey("metrics", Metrics)
