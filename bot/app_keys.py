"""The bot's typed application state keys; opened and closed in `cleanup_ctx`.

App-wide keys (settings, engine, sessions) live in `infra.app_keys`, the router's in `router.web`.
"""

from __future__ import annotations

from aiohttp import web

from bot.channels.webchat import WebChatChannel
from bot.dialogue import Dialogue
from bot.metrics import Metrics
from knowledge import Embedder

__all__ = ["DIALOGUE", "EMBEDDER", "METRICS", "WEBCHAT"]

EMBEDDER = web.AppKey("embedder", Embedder)
METRICS = web.AppKey("metrics", Metrics)
DIALOGUE = web.AppKey("dialogue", Dialogue)
WEBCHAT = web.AppKey("webchat", WebChatChannel)
