"""bot/app_keys.py: each of the bot's keys holds what `create_app`'s start-up opened, of its type."""

from __future__ import annotations

from typing import Any

import bot.app_keys
from bot.app_keys import DIALOGUE, EMBEDDER, METRICS, WEBCHAT
from bot.channels.webchat import WebChatChannel
from bot.dialogue import Dialogue
from bot.metrics import Metrics
from knowledge import Embedder


async def test_each_key_holds_what_the_app_opened(app_client: Any) -> None:
    app = app_client.app
    assert isinstance(app[EMBEDDER], Embedder)
    assert isinstance(app[METRICS], Metrics)
    assert isinstance(app[DIALOGUE], Dialogue)
    assert isinstance(app[WEBCHAT], WebChatChannel)
    assert app[DIALOGUE].metrics is app[METRICS]  # the dialogue times its turns into the app's metrics
    assert sorted(bot.app_keys.__all__) == ["DIALOGUE", "EMBEDDER", "METRICS", "WEBCHAT"]
