"""Typed application state keys: everything the app holds is opened and closed in `cleanup_ctx`.

The keys the router's handlers need live in `router.web`; the bot adds its own here.
"""

from __future__ import annotations

from aiohttp import web

from bot.channels.webchat import WebChatChannel
from bot.dialogue import Dialogue
from bot.metrics import Metrics
from knowledge import Embedder
from router.web import BUS, CHANNELS, ENGINE, KB, ROUTER, SESSIONS, SETTINGS

__all__ = [
    "BUS",
    "CHANNELS",
    "DIALOGUE",
    "EMBEDDER",
    "ENGINE",
    "KB",
    "METRICS",
    "ROUTER",
    "SESSIONS",
    "SETTINGS",
    "WEBCHAT",
]

EMBEDDER = web.AppKey("embedder", Embedder)
METRICS = web.AppKey("metrics", Metrics)
DIALOGUE = web.AppKey("dialogue", Dialogue)
WEBCHAT = web.AppKey("webchat", WebChatChannel)
