"""Typed application state keys: everything the app holds is opened and closed in `cleanup_ctx`."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.webchat import WebChatChannel
from bot.dialogue import Dialogue
from bot.metrics import Metrics
from config import Settings
from knowledge import Embedder, KnowledgeBase
from router.channel import ChannelRegistry
from router.events import EventBus
from router.service import Router

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
EMBEDDER = web.AppKey("embedder", Embedder)
KB = web.AppKey("knowledge_base", KnowledgeBase)
METRICS = web.AppKey("metrics", Metrics)
CHANNELS = web.AppKey("channels", ChannelRegistry)
BUS = web.AppKey("event_bus", EventBus)
ROUTER = web.AppKey("router", Router)
DIALOGUE = web.AppKey("dialogue", Dialogue)
WEBCHAT = web.AppKey("webchat", WebChatChannel)
